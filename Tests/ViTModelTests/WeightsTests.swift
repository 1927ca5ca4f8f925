import Testing
import ViTTensor
@testable import ViTModel
@testable import ViTRuntime

/// Deterministic tensors of the canonical shapes for `config` (values from a fixed LCG).
func syntheticTensors(_ config: ViTConfig, dtype: DType = .f32, seed: UInt64 = 1) throws -> [String: Tensor] {
    var state = seed
    func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 2000
    }
    var out: [String: Tensor] = [:]
    for c in config.canonicalTensors {
        let n = c.shape.reduce(1, *)
        let gain = c.name.hasSuffix("norm1.weight") || c.name.hasSuffix("norm2.weight") || c.name == "norm.weight"
        let values = (0..<n).map { _ in gain ? 1 + next() * 0.2 : next() }
        out[c.name] = try Tensor(shape: c.shape, float32: values).converted(to: dtype)
    }
    return out
}

@Suite("Strict weight loading")
struct WeightsTests {
    static let config = ViTConfig(imageSize: [8, 8], patchSize: [4, 4], embedDim: 8, depth: 2, numHeads: 2,
                                  numClasses: 3)

    @Test("a complete set of canonical tensors loads, in canonical order")
    func loads() throws {
        let w = try ViTWeights(config: WeightsTests.config, tensors: syntheticTensors(WeightsTests.config))
        #expect(w.names == WeightsTests.config.canonicalTensors.map(\.name))
        #expect(w.parameterCount == WeightsTests.config.parameterCount)
        #expect(w.values("head.bias")?.count == 3)
        #expect(w.values("nope") == nil)
        #expect(w.tensor("pos_embed")?.shape == [1, 5, 8])
    }

    @Test("every missing tensor is named, in canonical order")
    func missing() throws {
        var t = try syntheticTensors(WeightsTests.config)
        t["blocks.1.mlp.fc2.bias"] = nil
        t["cls_token"] = nil
        t["head.weight"] = nil
        #expect(throws: ViTModelError.missingTensors(["cls_token", "blocks.1.mlp.fc2.bias", "head.weight"])) {
            try ViTWeights(config: WeightsTests.config, tensors: t)
        }
    }

    @Test("every unexpected tensor is named, sorted")
    func unexpected() throws {
        var t = try syntheticTensors(WeightsTests.config)
        let extra = try Tensor(shape: [1], float32: [0])
        t["blocks.2.norm1.weight"] = extra
        t["dist_token"] = extra
        t["blocks.0.attn.q_norm.weight"] = extra
        #expect(throws: ViTModelError.unexpectedTensors(["blocks.0.attn.q_norm.weight", "blocks.2.norm1.weight", "dist_token"])) {
            try ViTWeights(config: WeightsTests.config, tensors: t)
        }
    }

    @Test("a shape mismatch names the tensor and both shapes")
    func shapeMismatch() throws {
        var t = try syntheticTensors(WeightsTests.config)
        t["blocks.0.attn.qkv.weight"] = try Tensor(shape: [8, 24], float32: [Float](repeating: 0, count: 192))
        #expect(throws: ViTModelError.shapeMismatch(tensor: "blocks.0.attn.qkv.weight", expected: [24, 8], found: [8, 24])) {
            try ViTWeights(config: WeightsTests.config, tensors: t)
        }
    }

    @Test("an integer tensor is refused")
    func nonFloat() throws {
        var t = try syntheticTensors(WeightsTests.config)
        t["pos_embed"] = try Tensor(dtype: .i32, shape: [1, 5, 8], bytes: [UInt8](repeating: 0, count: 160))
        #expect(throws: ViTModelError.nonFloatDType(tensor: "pos_embed", dtype: .i32)) {
            try ViTWeights(config: WeightsTests.config, tensors: t)
        }
    }

    @Test("an inconsistent config is refused before any tensor is looked at")
    func badConfig() throws {
        var c = WeightsTests.config
        c.numHeads = 3
        #expect(throws: ViTModelError.invalidConfig(.headsDoNotDivide(attnDim: 8, heads: 3))) {
            try ViTWeights(config: c, tensors: [:])
        }
    }

    @Test("F16, BF16 and F64 tensors are converted to their Float32 values")
    func dtypes() throws {
        for dtype in [DType.f16, .bf16, .f64] {
            let t = try syntheticTensors(WeightsTests.config, dtype: dtype)
            let w = try ViTWeights(config: WeightsTests.config, tensors: t)
            #expect(w.values("blocks.0.mlp.fc1.weight") == t["blocks.0.mlp.fc1.weight"]?.floats())
        }
    }

    @Test("error messages say what was expected and what was found")
    func messages() {
        #expect(ViTModelError.shapeMismatch(tensor: "head.weight", expected: [10, 12], found: [12, 10]).description
                == "tensor 'head.weight': expected shape (10, 12), found (12, 10)")
        #expect(ViTModelError.missingTensors(["a", "b"]).description == "2 tensor(s) the config needs are missing: a, b")
        #expect(ViTModelError.inputShape(expected: [1, 3, 8, 8], found: [1, 3, 9, 8]).description.contains("(1, 3, 9, 8)"))
    }
}

@Suite("Forward input checks")
struct InputTests {
    static func model() throws -> VisionTransformer {
        try VisionTransformer(config: WeightsTests.config, tensors: syntheticTensors(WeightsTests.config), threads: 1)
    }

    @Test("an image of the wrong size is refused with both shapes")
    func wrongSize() throws {
        let m = try InputTests.model()
        let x = try Tensor(shape: [2, 3, 8, 12], float32: [Float](repeating: 0, count: 576))
        #expect(throws: ViTModelError.inputShape(expected: [2, 3, 8, 8], found: [2, 3, 8, 12])) { try m.forward(x) }
        let y = try Tensor(shape: [3, 8, 8], float32: [Float](repeating: 0, count: 192))
        #expect(throws: ViTModelError.inputShape(expected: [1, 3, 8, 8], found: [3, 8, 8])) { try m.forward(y) }
    }

    @Test("an empty batch and an integer input are refused")
    func emptyAndInteger() throws {
        let m = try InputTests.model()
        #expect(throws: ViTModelError.emptyBatch) { try m.forward(try Tensor(shape: [0, 3, 8, 8], float32: [])) }
        let i = try Tensor(dtype: .u8, shape: [1, 3, 8, 8], bytes: [UInt8](repeating: 1, count: 192))
        #expect(throws: ViTModelError.nonFloatDType(tensor: "input", dtype: .u8)) { try m.forward(i) }
    }

    @Test("raw buffers of the wrong length are refused")
    func rawCounts() throws {
        let m = try InputTests.model()
        let ws = ViTWorkspace()
        let x = [Float](repeating: 0.5, count: 192)
        var out = [Float](repeating: 0, count: 3)
        try x.withUnsafeBufferPointer { xp in
            try out.withUnsafeMutableBufferPointer { op in
                #expect(throws: ViTModelError.inputCount(expected: 384, found: 192)) {
                    try m.forward(images: xp, batchSize: 2, into: op, workspace: ws)
                }
                #expect(throws: ViTModelError.outputCount(expected: 3, found: 2)) {
                    try m.forward(images: xp, batchSize: 1, into: UnsafeMutableBufferPointer(rebasing: op[0..<2]), workspace: ws)
                }
                try m.forward(images: xp, batchSize: 1, into: op, workspace: ws)
            }
        }
        #expect(out.allSatisfy(\.isFinite) && out != [0, 0, 0])
    }

    @Test("an F16 input gives the logits of its Float32 values")
    func halfInput() throws {
        let m = try InputTests.model()
        let values = (0..<192).map { Float($0 % 17) / 8 - 1 }
        let x16 = try Tensor(shape: [1, 3, 8, 8], float32: values).converted(to: .f16)
        let a = try m.forward(x16).floats()
        let b = try m.forward(try x16.converted(to: .f32)).floats()
        #expect(a == b)
    }
}
