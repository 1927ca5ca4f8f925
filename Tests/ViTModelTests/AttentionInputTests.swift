import CViTKernels
import Testing
import ViTTestSupport
@testable import ViTRuntime

/// `vk_attention_bf16_in` (q, K, V stored as bf16 by the qkv product) against `vk_attention_bf16` (Float32 q, K,
/// V rounded as the strips are taken): the same rounding (to nearest even) of the same values, so the outputs
/// must agree bit for bit, on token counts and head widths of every remainder (panels of 48, 16-word blocks of
/// the K transpose, an odd number of tokens for V's pairs).
@Suite("bf16 attention from stored bf16 rows")
struct AttentionInputTests {
    static let shapes: [(tokens: Int, headDim: Int, heads: Int)] = [
        (197, 64, 2), (50, 40, 3), (17, 34, 4), (5, 2, 2), (26, 8, 5), (257, 80, 1),
    ]

    @Test("agrees bit for bit with rounding Float32 q, K, V, in Float32 and in bf16 output",
          .enabled(if: CPUKernels.bf16), arguments: 0..<shapes.count)
    func agreesWithRounding(index: Int) {
        let (T, hd, H) = Self.shapes[index]
        let A = H * hd, ld = 3 * A
        var gen = SplitMix64(seed: UInt64(index + 7))
        let qkv = (0..<(T * ld)).map { _ in Float(gen.next() >> 40) / Float(1 << 23) * 3 - 1.5 }
        var half = [UInt16](repeating: 0, count: qkv.count)
        vk_to_bf16(qkv, qkv.count, &half)
        // Scratch aligned as the workspace's is (the packed panels are read with aligned loads).
        let floats = vk_attention_scratch(Int32(T), Int32(hd)) + 16
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: floats * 4, alignment: 64).bindMemory(to: Float.self, capacity: floats)
        defer { scratch.deallocate() }
        let scale = 1 / Float(hd).squareRoot()
        for outHalf: Int32 in [0, 1] {
            var a = [Float](repeating: 0, count: T * A), b = a
            qkv.withUnsafeBufferPointer { q in
                half.withUnsafeBufferPointer { h in
                    for head in 0..<H {
                        let o = head * hd
                        let next = head + 1 < H ? A + o + hd : nil
                        // Output rows of A floats, or (outHalf) of A 16-bit values in the same memory.
                        let ra = a.withUnsafeMutableBytes { $0.baseAddress! } + o * (outHalf == 1 ? 2 : 4)
                        let rb = b.withUnsafeMutableBytes { $0.baseAddress! } + o * (outHalf == 1 ? 2 : 4)
                        let r1 = vk_attention_bf16(Int32(T), Int32(hd), 0, Int32(T), q.baseAddress! + o,
                                                   q.baseAddress! + A + o, q.baseAddress! + 2 * A + o, ld, scale, ra, A,
                                                   outHalf, scratch, 1, next.map { q.baseAddress! + $0 })
                        let r2 = vk_attention_bf16_in(Int32(T), Int32(hd), 0, Int32(T), h.baseAddress! + o,
                                                      h.baseAddress! + A + o, h.baseAddress! + 2 * A + o, ld, scale, rb,
                                                      A, outHalf, scratch, 1, next.map { h.baseAddress! + $0 })
                        #expect(r1 == 0 && r2 == 0)
                    }
                }
            }
            let differing = zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differing == 0, "T \(T), head width \(hd), bf16 output \(outHalf): \(differing) values differ")
            #expect(a.contains { $0 != 0 })
        }
    }

    @Test("refuses an odd head width or row stride", .enabled(if: CPUKernels.bf16))
    func refusesOdd() {
        let h = [UInt16](repeating: 0x3F80, count: 64)
        var o = [Float](repeating: 0, count: 64)
        var scratch = [Float](repeating: 0, count: vk_attention_scratch(4, 3) + 16)
        #expect(vk_attention_bf16_in(4, 3, 0, 4, h, h, h, 10, 1, &o, 3, 0, &scratch, 1, nil) == -1)
        #expect(vk_attention_bf16_in(4, 2, 0, 4, h, h, h, 9, 1, &o, 3, 0, &scratch, 1, nil) == -1)
        #expect(o.allSatisfy { $0 == 0 })
    }
}
