import Foundation
import Testing
@testable import ViTTensor

@Suite("tensor core")
struct TensorTests {
    @Test("bfloat16 narrowing rounds to nearest even and keeps NaN and infinities")
    func bf16Rounding() {
        // 1 + 2^-8 is exactly halfway between 1 and 1 + 2^-7: ties to even → 1.
        #expect(FloatBits.bf16(from: 1 + 0x1p-8) == 0x3F80)
        // 1 + 3·2^-8 is halfway between 1+2^-7 (odd mantissa) and 1+2^-6: ties to even → up.
        #expect(FloatBits.bf16(from: 1 + 3 * 0x1p-8) == 0x3F82)
        // Just above halfway rounds up.
        #expect(FloatBits.bf16(from: Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(FloatBits.bf16(from: .infinity) == 0x7F80)
        #expect(FloatBits.bf16(from: -.infinity) == 0xFF80)
        #expect(FloatBits.float(fromBF16: FloatBits.bf16(from: .nan)).isNaN)
        #expect(FloatBits.bf16(from: -Float.nan) & 0x8000 == 0x8000)
        // The largest float rounds to +Inf in bfloat16, as torch does.
        #expect(FloatBits.bf16(from: .greatestFiniteMagnitude) == 0x7F80)
    }

    @Test("half narrowing rounds to nearest even, overflows to infinity, keeps NaN")
    func f16Rounding() {
        #expect(FloatBits.f16(from: 65504) == 0x7BFF)
        #expect(FloatBits.f16(from: 65520) == 0x7C00)  // halfway to the next binade → Inf
        #expect(FloatBits.f16(from: 1 + 0x1p-11) == 0x3C00)  // tie → even
        #expect(FloatBits.f16(from: 1 + 3 * 0x1p-11) == 0x3C02)
        #expect(FloatBits.float(fromF16: 0x0001) == 0x1p-24)  // smallest subnormal
        #expect(FloatBits.float(fromF16: FloatBits.f16(from: .nan)).isNaN)
    }

    @Test("float8 e4m3fn decodes normals, subnormals and NaN")
    func f8Decode() {
        #expect(FloatBits.float(fromF8E4M3: 0x38) == 1.0)
        #expect(FloatBits.float(fromF8E4M3: 0x7E) == 448.0)
        #expect(FloatBits.float(fromF8E4M3: 0x01) == 0x1p-9)
        #expect(FloatBits.float(fromF8E4M3: 0x7F).isNaN)
        #expect(FloatBits.float(fromF8E5M2: 0x3C) == 1.0)
    }

    @Test("converting F32 to F16 and BF16 and back matches the bit-level rounding")
    func conversions() throws {
        let values: [Float] = [0, -0.0, 1, -2.5, 3.14159265, 1e-8, 65504, 1e6, .infinity]
        let t = try Tensor(shape: [3, 3], float32: values)
        let h = try t.converted(to: .f16)
        #expect(h.dtype == .f16 && h.shape == [3, 3] && h.byteCount == 18)
        #expect(h.floats() == values.map { FloatBits.float(fromF16: FloatBits.f16(from: $0)) })
        let b = try t.converted(to: .bf16)
        #expect(b.floats() == values.map { FloatBits.float(fromBF16: FloatBits.bf16(from: $0)) })
        let d = try t.converted(to: .f64)
        #expect(d.floats() == values)
        #expect(try d.converted(to: .f32) == t)
        #expect(throws: TensorError.unsupportedConversion(from: .f32, to: .i32)) { try t.converted(to: .i32) }
    }

    @Test("integer tensors convert to Float32 by value")
    func integers() throws {
        let raw: [Int64] = [-3, 0, 7]
        let bytes = raw.withUnsafeBytes { Array($0) }
        let t = try Tensor(dtype: .i64, shape: [3], bytes: bytes)
        #expect(t.floats() == [-3, 0, 7])
    }

    @Test("a byte count that does not match the shape is refused with both numbers")
    func byteMismatch() {
        #expect(throws: TensorError.byteCountMismatch(expected: 24, found: 20, shape: [2, 3], dtype: .f32)) {
            try Tensor(dtype: .f32, shape: [2, 3], bytes: [UInt8](repeating: 0, count: 20))
        }
    }

    @Test("an overflowing shape is refused before any allocation")
    func overflow() {
        #expect(Shape.byteCount([1 << 31, 1 << 31, 4], dtype: .f32) == nil)
        #expect(Shape.elementCount([3, -1]) == nil)
        #expect(throws: TensorError.invalidShape([1 << 62, 4])) { try Tensor(dtype: .f32, shape: [1 << 62, 4], bytes: []) }
    }

    @Test("reshaping keeps the bytes and checks the element count")
    func reshape() throws {
        let t = try Tensor(shape: [2, 3], float32: [1, 2, 3, 4, 5, 6])
        let r = try t.reshaped([3, 2])
        #expect(r.floats() == [1, 2, 3, 4, 5, 6] && r.shape == [3, 2])
        #expect(throws: TensorError.byteCountMismatch(expected: 24, found: 28, shape: [7], dtype: .f32)) { try t.reshaped([7]) }
    }
}

@Suite("atomic file writes")
struct AtomicFileTests {
    func tempDir() -> String {
        let d = NSTemporaryDirectory() + "vitkit-atomic-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test("nothing appears at the destination until commit, and the temp file is gone after")
    func commit() throws {
        let d = tempDir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let dest = d + "/out.bin"
        let f = try AtomicFile(destination: dest, overwrite: false)
        try f.write([1, 2, 3])
        #expect(!FileManager.default.fileExists(atPath: dest))
        try f.commit()
        #expect(try Data(contentsOf: URL(fileURLWithPath: dest)) == Data([1, 2, 3]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: d) == ["out.bin"])
    }

    @Test("an abandoned write leaves no file at all")
    func abandon() throws {
        let d = tempDir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        do {
            let f = try AtomicFile(destination: d + "/out.bin", overwrite: false)
            try f.write([1, 2, 3])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: d).isEmpty)
    }

    @Test("an existing destination is refused without overwrite, and a missing folder is named")
    func refusals() throws {
        let d = tempDir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        FileManager.default.createFile(atPath: d + "/x", contents: Data([9]))
        #expect(throws: AtomicFileError.outputExists(path: d + "/x")) { try AtomicFile(destination: d + "/x", overwrite: false) }
        #expect(throws: AtomicFileError.missingFolder(path: d + "/nope/x")) { try AtomicFile(destination: d + "/nope/x", overwrite: false) }
    }
}
