import Foundation
import Testing
import ViTTensor
@testable import ViTSafetensors
import ViTTestSupport

/// `SafetensorsHeader.parse` must end in a header or a `SafetensorsError` for any bytes, never a trap.
@Suite("safetensors header fuzzing")
struct HeaderFuzzTests {
    static let seeds: [[UInt8]] = [
        stBytes("{}"),
        stBytes("{\"__metadata__\":{\"format\":\"pt\",\"k\":\"\\u00e9\\n\"},\"a\":\(entry("F32", [2], 0, 8)),\"b\":\(entry("BF16", [1, 1], 8, 10))}",
                data: [UInt8](repeating: 0x3F, count: 10)),
        stBytes("{\"z\":\(entry("F16", [0, 3], 0, 0)),\"s\":\(entry("I64", [], 0, 8)),\"x\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[8,10],\"extra\":[1,{\"q\":null}]}}",
                data: [UInt8](repeating: 1, count: 10)),
    ]

    static let tokens: [[UInt8]] = ["{", "}", "[", "]", "\"", ",", ":", "\\", "\\u", "\\ud800", "-", "0", "1e9", "99999999999999999999",
                                    "null", "true", "\"__metadata__\"", "\"dtype\"", "\"F32\"", "\"shape\"", "\"data_offsets\"",
                                    "[0,0]", " ", "\u{0}", "é", "[[[[[[[[[[[[[[[[", "\"C64\""].map { Array($0.utf8) }

    /// Applies one random edit to `bytes`.
    static func mutate(_ bytes: inout [UInt8], _ rng: inout SplitMix64) {
        let pick = Int(rng.next() % 8)
        let at = bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count))
        switch pick {
        case 0 where !bytes.isEmpty: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
        case 1 where !bytes.isEmpty: bytes[at] ^= 1 << UInt8(rng.next() % 8)
        case 2: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
        case 3 where !bytes.isEmpty: bytes.remove(at: at)
        case 4: bytes.insert(contentsOf: tokens[Int(rng.next() % UInt64(tokens.count))], at: at)
        case 5: bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1))))
        case 6 where bytes.count >= 8:
            // A new header length, sometimes close to the real one.
            let n = rng.next() % 3 == 0 ? rng.next() : UInt64(max(0, bytes.count - 8)) &+ (rng.next() % 9) &- 4
            withUnsafeBytes(of: n.littleEndian) { for k in 0..<8 { bytes[k] = $0[k] } }
        default:
            if bytes.count > 1 {
                let a = Int(rng.next() % UInt64(bytes.count)), b = Int(rng.next() % UInt64(bytes.count))
                let chunk = bytes[min(a, b)..<max(a, b)]
                bytes.insert(contentsOf: chunk, at: at)
            }
        }
    }

    @Test("10,000 mutated headers each parse or throw a SafetensorsError, and what parses is consistent")
    func mutatedHeaders() throws {
        var rng = SplitMix64(seed: 0x5AFE_7E45)
        var parsed = 0, rejected = 0
        for i in 0..<10_000 {
            var bytes = Self.seeds[i % Self.seeds.count]
            for _ in 0..<(1 + Int(rng.next() % 4)) { Self.mutate(&bytes, &rng) }
            do {
                let h = try parse(bytes)
                parsed += 1
                var cursor = 0
                for e in h.entries {
                    #expect(e.begin == cursor)
                    #expect(e.end - e.begin == Shape.byteCount(e.shape, dtype: e.dtype))
                    cursor = e.end
                }
                #expect(h.dataStart + cursor == bytes.count)
                #expect(Set(h.entries.map(\.name)).count == h.entries.count)
            } catch is SafetensorsError {
                rejected += 1
            }
        }
        #expect(parsed + rejected == 10_000)
        #expect(parsed > 0 && rejected > 0)
    }

    @Test("random byte strings behind a matching length field never trap")
    func randomHeaders() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2_000 {
            let count = Int(rng.next() % 64)
            let body = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = parseError(stBytes(body))
        }
    }

    @Test("a header given fewer bytes than the file size is judged on the bytes it has, without trapping")
    func shortBuffer() {
        let bytes = stBytes("{\"a\":\(entry("F32", [2], 0, 8))}", data: [UInt8](repeating: 0, count: 8))
        for cut in 0..<bytes.count {
            let prefix = Array(bytes.prefix(cut))
            let result = prefix.withUnsafeBytes { p in
                Result { try SafetensorsHeader.parse(bytes: p, fileSize: bytes.count, path: testPath) }
            }
            // Enough bytes for the header: the file size decides; fewer: a length error.
            if cut >= bytes.count - 8 { #expect((try? result.get()) != nil) } else { #expect((try? result.get()) == nil) }
        }
    }

    @Test("the UTF-8 check agrees with the standard library's validation on 20,000 random byte strings")
    func utf8AgreesWithStandardLibrary() {
        var rng = SplitMix64(seed: 7)
        let pieces: [[UInt8]] = [Array("plain ascii text ".utf8), Array("é".utf8), Array("😀".utf8), Array("\u{FFFF}".utf8),
                                 [0xF4, 0x90, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xC0, 0x80], [0xE0, 0x9F, 0xBF], [0x80], [0xFF]]
        for _ in 0..<20_000 {
            var bytes: [UInt8] = []
            for _ in 0..<(Int(rng.next() % 6)) {
                if rng.next() % 3 == 0 {
                    bytes.append(contentsOf: (0..<Int(rng.next() % 12)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
                } else {
                    bytes.append(contentsOf: pieces[Int(rng.next() % UInt64(pieces.count))])
                }
            }
            let ours = bytes.withUnsafeBytes { UTF8Check.firstInvalidOffset($0) }
            let stdlib = String(validating: bytes, as: UTF8.self)
            #expect((ours == nil) == (stdlib != nil), "\(bytes)")
            if let bad = ours {
                // Everything before the reported offset is valid on its own.
                #expect(String(validating: bytes[..<bad], as: UTF8.self) != nil)
            }
        }
    }
}
