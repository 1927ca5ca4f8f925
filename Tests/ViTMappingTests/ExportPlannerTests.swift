import Testing
import ViTMapping
import ViTModel

/// The export planners on configs alone: which class or architecture holds a model, what is filled with constants,
/// and what is refused, by rules that hold for any size (no fixture needed).
@Suite("Export planning: classes, architectures, refusals")
struct ExportPlannerTests {
    static func plan(_ c: ViTConfig, _ l: ExportLayout, zero: Bool = true) throws -> ExportPlan {
        try ExportPlanner.plan(c, for: l) { _ in zero }
    }

    static let plain = ViTConfig(imageSize: [32, 32], patchSize: [8, 8], embedDim: 32, depth: 2, numHeads: 2, numClasses: 10)

    @Test("timm: the architecture whose defaults match; model_args state every difference")
    func timmArchitectures() throws {
        var c = Self.plain
        #expect(try Self.plan(c, .timm).target == "vit_base_patch16_224")
        c.normPre = true; c.layerNormEps = 1e-5; c.activation = .quickGelu
        #expect(try Self.plan(c, .timm).target == "vit_base_patch16_clip_quickgelu_224")
        var d = Self.plain
        d.layerScale = true; d.registerTokens = 4; d.noEmbedClass = true
        #expect(try Self.plan(d, .timm).target == "vit_base_patch14_reg4_dinov2")
        let s = ViTConfig(imageSize: [32, 32], patchSize: [8, 8], embedDim: 32, depth: 1, numHeads: 2, classToken: false,
                          globalPool: .map, numClasses: 0)
        let p = try Self.plan(s, .timm)
        #expect(p.target == "vit_base_patch16_siglip_224")
        #expect(p.config?["model_args"]?["global_pool"] == .string("map"))
        #expect(p.config?["model_args"]?["class_token"] == .bool(false))
    }

    @Test("hf: one class per family; a features ViT is ViTForImageClassification with num_labels 0")
    func hfClasses() throws {
        var c = Self.plain
        #expect(try Self.plan(c, .hf).target == "ViTForImageClassification")
        c.numClasses = 0
        let f = try Self.plan(c, .hf)
        #expect(f.target == "ViTForImageClassification" && f.config?["num_labels"] == .int(0))
        c.preLogitsDim = 32
        #expect(try Self.plan(c, .hf).target == "ViTModel")
        var d = Self.plain
        d.numClasses = 0; d.layerScale = true
        let dino = try Self.plan(d, .hf)
        #expect(dino.target == "Dinov2Model")
        #expect(dino.tensors.contains { $0.name == "embeddings.mask_token" && $0.op == .zeros })
        d.numClasses = 10
        #expect(throws: ExportError.self) { _ = try Self.plan(d, .hf) }
    }

    @Test("hf: q, k, v are row thirds of the packed qkv; SigLIP's in_proj is attn_pool.q then attn_pool.kv")
    func hfSplits() throws {
        let p = try Self.plan(Self.plain, .hf)
        let k = try #require(p.tensors.first { $0.name == "vit.encoder.layer.1.attention.attention.key.weight" })
        #expect(k.op == .rows("blocks.1.attn.qkv.weight", from: 1, to: 2, parts: 3) && k.shape == [32, 32])
        let s = ViTConfig(imageSize: [32, 32], patchSize: [8, 8], embedDim: 32, depth: 1, numHeads: 2, classToken: false,
                          globalPool: .map, numClasses: 0)
        let inProj = try #require(try Self.plan(s, .hf).tensors.first { $0.name == "head.attention.in_proj_weight" })
        #expect(inProj.op == .concatRows(["attn_pool.q.weight", "attn_pool.kv.weight"]) && inProj.shape == [96, 32])
    }

    @Test("a tensor a layout has no place for is dropped only when it is all zeros")
    func zeroDrop() throws {
        var c = Self.plain
        c.normPre = true; c.layerNormEps = 1e-5
        #expect(try Self.plan(c, .hf, zero: true).target == "CLIPVisionModelWithProjection")
        #expect(throws: ExportError.self) { _ = try Self.plan(c, .hf, zero: false) }
    }

    @Test("torchvision: zero biases and a zero class-token position row fill what it always has")
    func torchvisionFills() throws {
        var c = Self.plain
        c.qkvBias = false; c.noEmbedClass = true
        let p = try Self.plan(c, .torchvision)
        #expect(p.tensors.contains { $0.name == "encoder.layers.encoder_layer_0.self_attention.in_proj_bias" && $0.op == .zeros })
        #expect(p.tensors.contains { $0.name == "encoder.pos_embedding" && $0.op == .zeroRowThenRows("pos_embed") && $0.shape == [1, 17, 32] })
        c.activation = .quickGelu
        #expect(throws: ExportError.cannotExpress(layout: .torchvision, feature: "QuickGELU",
                                                  reason: "torchvision's MLPBlock uses exact GELU", holders: [.timm, .hf, .onnx])) {
            _ = try Self.plan(c, .torchvision)
        }
    }
}
