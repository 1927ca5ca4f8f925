import Foundation
import Testing
import ViTTensor
@testable import ViTBin
import ViTTestSupport

/// The case name of a BinError (`truncated`, `checksumMismatch`, ...).
private func caseName(_ e: BinError) -> String { Mirror(reflecting: e).children.first?.label ?? "\(e)" }

@Suite("native .bin: mutation fuzzing")
struct BinFuzzTests {
    /// 10,000 deterministic mutations of a valid writer-made file: bit flips, random bytes, 64-bit
    /// field overwrites with hostile values, truncations, insertions, deletions and appended bytes;
    /// half of them with both checksums recomputed so the structural checks are reached. Every
    /// result must be a clean open (whose tensors all read) or a BinError, never a crash.
    @Test("10,000 mutations of a valid file: each opens cleanly or throws a BinError")
    func mutations() throws {
        let path = temporaryBinPath("fuzz")
        defer { unlink(path) }
        let infos = [TensorInfo(name: "pos_embed", dtype: .f32, shape: [1, 5, 4]),
                     TensorInfo(name: "cls", dtype: .bf16, shape: [1, 1, 4]),
                     TensorInfo(name: "s", dtype: .f64, shape: []),
                     TensorInfo(name: "e", dtype: .i64, shape: [0, 2])]
        try BinWriter.write(to: path, tensors: infos, configJSON: "{\"d\":4}", metadata: ["m": "x"]) { info in
            let n = info.elementCount * info.dtype.byteSize
            return try Tensor(dtype: info.dtype, shape: info.shape, bytes: (0..<n).map { UInt8(truncatingIfNeeded: $0 * 31 + 7) })
        }
        let base = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var rng = SplitMix64(state: 0xF022)
        var opened = 0
        var kinds: [String: Int] = [:]
        let hostile: [UInt64] = [0, 1, 63, 64, 65, UInt64(Int.max), UInt64.max, 1 << 62, UInt64(base.count), 0xFFFF_FFFF]
        for iteration in 0..<10_000 {
            var b = base
            switch Int.random(in: 0..<7, using: &rng) {
            case 0, 1:
                let i = Int.random(in: 0..<b.count, using: &rng)
                b[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 2:
                b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 3:
                let i = Int.random(in: 0..<(b.count - 8), using: &rng)
                b.replaceSubrange(i..<(i + 8), with: le64(hostile.randomElement(using: &rng)!))
            case 4:
                b.removeLast(Int.random(in: 1...b.count, using: &rng))
            case 5:
                let i = Int.random(in: 0...b.count, using: &rng)
                b.insert(contentsOf: (0..<Int.random(in: 1...70, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: i)
            default:
                let i = Int.random(in: 0..<b.count, using: &rng)
                b.removeSubrange(i..<min(b.count, i + Int.random(in: 1...70, using: &rng)))
            }
            if iteration % 2 == 1 { refreshChecksums(&b) }
            do {
                let file = try openBin(b, verifyChecksum: iteration % 4 != 3)
                for name in file.tensorNames { _ = try file.tensor(named: name).floats() }
                opened += 1
            } catch let e as BinError {
                kinds[caseName(e), default: 0] += 1
            } catch {
                Issue.record("iteration \(iteration): not a BinError: \(error)")
            }
        }
        // The loop must reach deep into the reader, not stop at the checksums.
        #expect(kinds.count >= 12, "error kinds seen: \(kinds.keys.sorted())")
        #expect(opened > 0 && opened < 10_000)
        #expect(opened + kinds.values.reduce(0, +) == 10_000)
    }
}
