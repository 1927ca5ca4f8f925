import Testing
import ViTTensor
@testable import ViTMapping

/// Each transform on a tiny tensor whose result was worked out by hand (numpy equivalent in the comment).
@Suite("Transforms")
struct TransformTests {
    func t(_ shape: [Int], _ v: [Float]) throws -> Tensor { try Tensor(shape: shape, float32: v) }
    func apply(_ tr: TensorTransform, _ inputs: [Tensor]) throws -> Tensor {
        try tr.apply(inputs, dtype: inputs[0].dtype, name: "x")
    }

    @Test("transpose2D: [[1,2,3],[4,5,6]].T")
    func transpose() throws {
        let out = try apply(.transpose2D, [t([2, 3], [1, 2, 3, 4, 5, 6])])
        #expect(out.shape == [3, 2])
        #expect(out.floats() == [1, 4, 2, 5, 3, 6])
    }

    @Test("hwioToOihw: x = arange(8).reshape(1,2,2,2); x.transpose(3,2,0,1)")
    func hwio() throws {
        let out = try apply(.hwioToOihw, [t([1, 2, 2, 2], (0..<8).map(Float.init))])
        #expect(out.shape == [2, 2, 1, 2])
        #expect(out.floats() == [0, 4, 2, 6, 1, 5, 3, 7])
    }

    @Test("jaxQKVKernel: arange(6).reshape(3,1,2) → reshape(3,2).T")
    func qkvKernel() throws {
        let out = try apply(.jaxQKVKernel(heads: 1, headDim: 2), [t([3, 1, 2], (0..<6).map(Float.init))])
        #expect(out.shape == [2, 3])
        #expect(out.floats() == [0, 2, 4, 1, 3, 5])
    }

    @Test("jaxOutKernel: arange(6).reshape(2,1,3) → reshape(2,3).T")
    func outKernel() throws {
        let out = try apply(.jaxOutKernel(heads: 2, headDim: 1), [t([2, 1, 3], (0..<6).map(Float.init))])
        #expect(out.shape == [3, 2])
        #expect(out.floats() == [0, 3, 1, 4, 2, 5])
    }

    @Test("patchLinearToConv: w = arange(8).reshape(1,8) over (p1 p2 c), P=2, C=2 → reshape(1,2,2,2).permute(0,3,1,2)")
    func patchLinear() throws {
        let out = try apply(.patchLinearToConv(patch: [2, 2], channels: 2), [t([1, 8], (0..<8).map(Float.init))])
        #expect(out.shape == [1, 2, 2, 2])
        #expect(out.floats() == [0, 2, 4, 6, 1, 3, 5, 7])
        // A non-square patch (2 rows, 1 column), 3 channels: index = p1*3 + c → out[c][p1].
        let tall = try apply(.patchLinearToConv(patch: [2, 1], channels: 3), [t([1, 6], (0..<6).map(Float.init))])
        #expect(tall.shape == [1, 3, 2, 1])
        #expect(tall.floats() == [0, 3, 1, 4, 2, 5])
    }

    @Test("patchNormToCHW: arange(8) over (p1 p2 c) → reshape(2,2,2).permute(2,0,1)")
    func patchNorm() throws {
        let out = try apply(.patchNormToCHW(patch: [2, 2], channels: 2), [t([8], (0..<8).map(Float.init))])
        #expect(out.shape == [2, 2, 2])
        #expect(out.floats() == [0, 2, 4, 6, 1, 3, 5, 7])
    }

    @Test("reshape keeps the bytes: (1, D) → (1, 1, D)")
    func reshape() throws {
        let x = try t([1, 3], [1, 2, 3])
        let out = try apply(.reshape(to: [1, 1, 3]), [x])
        #expect(out.shape == [1, 1, 3])
        #expect(out.floats() == [1, 2, 3])
    }

    @Test("concatRows fuses q, k, v after their own transforms")
    func concat() throws {
        let q = try t([2, 1, 1], [1, 2]), k = try t([2, 1, 1], [3, 4]), v = try t([2, 1, 1], [5, 6])
        let tr = TensorTransform.concatRows(Array(repeating: .jaxQKVKernel(heads: 1, headDim: 1), count: 3))
        #expect(tr.outputShape([[2, 1, 1], [2, 1, 1], [2, 1, 1]]) == [3, 2])
        let out = try apply(tr, [q, k, v])
        #expect(out.shape == [3, 2])
        #expect(out.floats() == [1, 2, 3, 4, 5, 6])
        let plain = try apply(.concatRows([.identity, .identity]), [try t([1, 2], [1, 2]), try t([2, 2], [3, 4, 5, 6])])
        #expect(plain.shape == [3, 2])
        #expect(plain.floats() == [1, 2, 3, 4, 5, 6])
    }

    @Test("bf16 and f16 stay as stored, bit for bit; mixed sources widen to F32")
    func dtypes() throws {
        let bits: [UInt16] = [0x3F80, 0x4000, 0x4040, 0x7FC1, 0x0001, 0xFF80]   // 1, 2, 3, NaN payload, subnormal, -inf
        let bytes = bits.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        for dtype in [DType.bf16, .f16] {
            let x = try Tensor(dtype: dtype, shape: [2, 3], bytes: bytes)
            let out = try apply(.transpose2D, [x])
            #expect(out.dtype == dtype)
            let expected = [bits[0], bits[3], bits[1], bits[4], bits[2], bits[5]].flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
            #expect(out.bytes == expected)
        }
        #expect(ViTMapper.widest([.bf16, .bf16]) == .bf16)
        #expect(ViTMapper.widest([.f16, .bf16]) == .f32)
        #expect(ViTMapper.widest([.f16, .f64]) == .f64)
        let mixed = try TensorTransform.concatRows([.identity, .identity])
            .apply([try t([1], [1]).converted(to: .f16), try t([1], [2])], dtype: .f32, name: "x")
        #expect(mixed.dtype == .f32)
        #expect(mixed.floats() == [1, 2])
    }

    @Test("inputs that do not fit a transform are rejected with the shapes found")
    func badInputs() throws {
        #expect(TensorTransform.hwioToOihw.outputShape([[2, 3]]) == nil)
        #expect(TensorTransform.jaxQKVKernel(heads: 2, headDim: 4).outputShape([[8, 4, 2]]) == nil)
        #expect(TensorTransform.patchLinearToConv(patch: [4, 4], channels: 3).outputShape([[8, 47]]) == nil)
        #expect(TensorTransform.concatRows([.identity, .identity]).outputShape([[2, 3], [2, 4]]) == nil)
        #expect(throws: MappingError.transformInput(tensor: "x", transform: "transpose", found: [[6]])) {
            _ = try self.apply(.transpose2D, [try self.t([6], [1, 2, 3, 4, 5, 6])])
        }
    }

    @Test("a rank-4 permutation on larger data matches plain index arithmetic")
    func permuteLarge() throws {
        var noise = Noise(seed: 7)
        let shape = [5, 3, 4, 7]
        let x = noise.values(shape.reduce(1, *))
        let out = try apply(.hwioToOihw, [t(shape, x)])
        #expect(out.shape == [7, 4, 5, 3])
        #expect(out.floats() == npTranspose(x, shape, [3, 2, 0, 1]))
    }
}
