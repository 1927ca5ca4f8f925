import Foundation
import Testing
@testable import ViTBin
import ViTTestSupport

private struct Vector: Decodable {
    let length: Int?
    let text: String?
    let seed: UInt64
    let xxh64: String
}

private struct VectorFile: Decodable { let vectors: [Vector] }

private func patternBytes(_ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) } }

@Suite("XXH64 against libxxhash")
struct XXHash64Tests {
    @Test("every libxxhash reference value is reproduced, for seed 0 and a non-zero seed")
    func referenceVectors() throws {
        let file = try JSONDecoder().decode(VectorFile.self,
                                            from: Data(contentsOf: binFixtures.appendingPathComponent("xxh64_vectors.json")))
        #expect(file.vectors.count == 55)
        for v in file.vectors {
            let bytes = v.text.map { Array($0.utf8) } ?? patternBytes(v.length ?? 0)
            let got = XXHash64.hash(bytes, seed: v.seed)
            #expect(String(got, radix: 16).leftPadded(16) == v.xxh64, "length \(bytes.count), seed \(v.seed)")
        }
    }

    @Test("feeding the bytes in any split gives the one-shot hash")
    func streaming() {
        var rng = SplitMix64(state: 42)
        let data = patternBytes(5000)
        let expected = XXHash64.hash(data, seed: 7)
        for _ in 0..<200 {
            var h = XXHash64(seed: 7)
            var i = 0
            while i < data.count {
                let n = min(Int.random(in: 0...70, using: &rng), data.count - i)
                h.update(Array(data[i..<(i + n)]))
                i += n
            }
            #expect(h.finalize() == expected)
        }
    }

    @Test("the empty input hashes to the published XXH64 value")
    func empty() {
        #expect(XXHash64.hash([UInt8]()) == 0xEF46_DB37_51D8_E999)
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
