import Testing
import ViTModel
import ViTTensor
@testable import ViTMapping

@Suite("Plan errors: missing, unused, duplicate, mismatched")
struct PlanErrorTests {
    static let config = ViTConfig(imageSize: [12, 12], patchSize: [4, 4], embedDim: 24, depth: 3, numHeads: 2, numClasses: 5)
    let m = Synthetic(PlanErrorTests.config)
    let two = MappingOptions(heads: 2)

    func plan(_ s: Synthetic.Stored, _ options: MappingOptions = MappingOptions(heads: 2), configJSON: String? = nil,
              metadata: [String: String] = [:]) throws -> MappingResult {
        try ViTMapper.plan(s.infos, context: s.context(metadata: metadata, configJSON: configJSON), options: options)
    }

    @Test("every missing tensor is listed, in canonical order")
    func missing() {
        var s = m.timm()
        s.entries.removeAll { ["blocks.1.mlp.fc2.weight", "blocks.0.norm1.bias", "patch_embed.proj.bias", "blocks.2.attn.proj.bias"].contains($0.0) }
        // patch bias absent everywhere means "no patch bias", not missing; the others are gaps.
        #expect(throws: MappingError.missingTensors(file: "test.ckpt", names: ["blocks.0.norm1.bias", "blocks.1.mlp.fc2.weight", "blocks.2.attn.proj.bias"])) {
            try self.plan(s)
        }
    }

    @Test("a whole missing block is listed tensor by tensor")
    func missingBlock() throws {
        var s = m.timm()
        s.entries.removeAll { $0.0.hasPrefix("blocks.1.") }
        do { _ = try plan(s); Issue.record("expected an error") } catch let MappingError.missingTensors(_, names) {
            #expect(names == PlanErrorTests.config.canonicalTensors.map(\.name).filter { $0.hasPrefix("blocks.1.") })
        }
    }

    @Test("a missing q, k or v part names the fused tensor and the part")
    func missingPart() {
        var s = m.huggingFace()
        s.entries.removeAll { $0.0 == "vit.encoder.layer.2.attention.attention.key.weight" }
        #expect(throws: MappingError.missingTensors(file: "test.ckpt", names: ["blocks.2.attn.qkv.weight (no key weight)"])) {
            try self.plan(s)
        }
    }

    @Test("every unused tensor is listed; allowUnused drops them and says so")
    func unused() throws {
        var s = m.timm()
        s.add("blocks.0.attn.q_norm.weight", Values(shape: [12], data: Array(repeating: 1, count: 12)))
        s.add("optimizer.step", Values(shape: [1], data: [3]))
        #expect(throws: MappingError.unusedTensors(file: "test.ckpt", names: ["blocks.0.attn.q_norm.weight", "optimizer.step"])) {
            try self.plan(s)
        }
        let r = try plan(s, MappingOptions(heads: 2, allowUnused: true))
        #expect(r.plan.unused == ["blocks.0.attn.q_norm.weight", "optimizer.step"])
        #expect(r.report.notes.contains { $0.hasPrefix("dropped 2 tensor(s)") })
        #expect(r.config == PlanErrorTests.config)
    }

    @Test("a distillation head without a distillation token is unused, not silently mapped")
    func strayHeadDist() {
        var s = m.timm()
        s.add("head_dist.weight", m.v("head.weight"))
        s.add("head_dist.bias", m.v("head.bias"))
        #expect(throws: MappingError.unusedTensors(file: "test.ckpt", names: ["head_dist.weight", "head_dist.bias"])) { try self.plan(s) }
    }

    @Test("two tensors for one canonical tensor are a duplicate, naming both")
    func duplicate() {
        var s = m.torchvision()
        s.add("encoder.layers.encoder_layer_1.mlp.linear_1.weight", m.v("blocks.1.mlp.fc1.weight"))
        #expect(throws: MappingError.duplicateRole(file: "test.ckpt", canonical: "blocks.1.mlp.fc1.weight",
                                                   sources: ["encoder.layers.encoder_layer_1.mlp.0.weight", "encoder.layers.encoder_layer_1.mlp.linear_1.weight"])) {
            try self.plan(s)
        }
    }

    @Test("a tensor whose shape disagrees with the inferred config is a shape mismatch")
    func shapeMismatch() {
        var s = m.timm()
        let i = s.entries.firstIndex { $0.0 == "blocks.2.mlp.fc1.weight" }!
        s.entries[i].1 = Values(shape: [48, 20], data: Array(repeating: 0, count: 960))
        #expect(throws: MappingError.shapeMismatch(file: "test.ckpt", tensor: "blocks.2.mlp.fc1.weight", sources: ["blocks.2.mlp.fc1.weight"],
                                                   expected: [96, 24], found: [48, 20])) {
            try self.plan(s)
        }
    }

    @Test("a source of the wrong rank for its role is named with what was expected")
    func wrongRank() {
        var s = m.vitPytorchLike()
        let i = s.entries.firstIndex { $0.0 == "cls_token" }!
        s.entries[i].1 = Values(shape: [1, 1, 24], data: Array(repeating: 0, count: 24))
        #expect(throws: MappingError.unexpectedShape(file: "test.ckpt", tensor: "cls_token", expected: "2-D (tokens, D)", found: [1, 1, 24])) {
            try self.plan(s)
        }
    }

    @Test("integer weights are refused")
    func integerWeights() throws {
        let s = m.timm()
        var infos = s.infos
        infos[0] = TensorInfo(name: infos[0].name, dtype: .i64, shape: infos[0].shape)
        #expect(throws: MappingError.notFloatingPoint(file: "test.ckpt", tensor: "cls_token", dtype: .i64)) {
            try ViTMapper.plan(infos, context: s.context(), options: self.two)
        }
    }

    @Test("one attention weight makes a ViT; the rest of its block is then listed as missing")
    func loneAttention() {
        let infos = [TensorInfo(name: "pos_embed", dtype: .f32, shape: [1, 9, 8]), TensorInfo(name: "patch_embed.proj.weight", dtype: .f32, shape: [8, 3, 4, 4]),
                     TensorInfo(name: "blocks.0.attn.qkv.weight", dtype: .f32, shape: [24, 8])]
        let b = "blocks.0."
        #expect(throws: MappingError.missingTensors(file: "x", names: [b + "norm1.weight", b + "norm1.bias", b + "attn.proj.weight", b + "attn.proj.bias",
                                                                      b + "norm2.weight", b + "norm2.bias", b + "mlp.fc1.weight", b + "mlp.fc1.bias",
                                                                      b + "mlp.fc2.weight", b + "mlp.fc2.bias"])) {
            try ViTMapper.plan(infos, context: SourceContext(file: "x"), options: self.two)
        }
    }

    @Test("a tensor that changed after planning is caught when materialising")
    func sourceChanged() throws {
        let s = m.timm()
        let r = try plan(s)
        let other = try Synthetic(ViTConfig(imageSize: [12, 12], patchSize: [4, 4], embedDim: 16, depth: 3, numHeads: 2, numClasses: 5)).timm().source()
        let e = try #require(r.plan.entry(named: "cls_token"))
        #expect(throws: MappingError.sourceChanged(file: "test.ckpt", tensor: "cls_token", expected: "F32 (1, 1, 24)", found: "F32 (1, 1, 16)")) {
            try ViTMapper.materialize(e, from: other)
        }
    }
}

extension Synthetic {
    /// This model stored as vit-pytorch 1.x would (patch norms and qkv bias permitting).
    func vitPytorchLike() -> Stored {
        var c = config
        c.patchNormPre = true
        c.patchNormPost = true
        c.qkvBias = false
        return Synthetic(c).vitPytorch()
    }
}
