import Testing
import ViTModel
import ViTTensor
@testable import ViTMapping

/// Families the canonical model cannot run are refused by name, naming the tensor (or config key) that shows
/// them and why — never mapped into a model that computes something else. Tiny synthetic headers: a plain
/// ViT's names plus each family's tell-tale.
@Suite("Unsupported families refused by name")
struct UnsupportedFamilyTests {
    static let D = 32

    /// A plain timm ViT's headers (1 block), enough for a convention to match if nothing refused it.
    static func plain(prefix: String = "") -> [TensorInfo] {
        let shapes: [(String, [Int])] = [
            ("cls_token", [1, 1, D]), ("pos_embed", [1, 17, D]), ("patch_embed.proj.weight", [D, 3, 4, 4]),
            ("patch_embed.proj.bias", [D]), ("blocks.0.norm1.weight", [D]), ("blocks.0.norm1.bias", [D]),
            ("blocks.0.attn.qkv.weight", [3 * D, D]), ("blocks.0.attn.proj.weight", [D, D]), ("blocks.0.attn.proj.bias", [D]),
            ("blocks.0.norm2.weight", [D]), ("blocks.0.norm2.bias", [D]), ("blocks.0.mlp.fc1.weight", [64, D]),
            ("blocks.0.mlp.fc1.bias", [64]), ("blocks.0.mlp.fc2.weight", [D, 64]), ("blocks.0.mlp.fc2.bias", [D]),
            ("norm.weight", [D]), ("norm.bias", [D]),
        ]
        return shapes.map { TensorInfo(name: prefix + $0.0, dtype: .f32, shape: $0.1) }
    }

    static func refusal(_ infos: [TensorInfo], configJSON: String? = nil, options: MappingOptions = MappingOptions(heads: 4))
        -> (family: String, tensor: String, reason: String, message: String)? {
        do {
            _ = try ViTMapper.plan(infos, context: SourceContext(file: "test.ckpt", configJSON: configJSON), options: options)
        } catch let e as MappingError {
            if case let .unsupportedFamily(file, family, tensor, reason) = e, file == "test.ckpt" {
                return (family, tensor, reason, e.description)
            }
            Issue.record("another error: \(e)")
        } catch {
            Issue.record("another error: \(error)")
        }
        return nil
    }

    static func info(_ name: String, _ shape: [Int]) -> TensorInfo { TensorInfo(name: name, dtype: .f32, shape: shape) }

    @Test("EVA-02: its stored RoPE tables, its original block names, timm's eva.py names")
    func eva02() throws {
        for (extra, tensor) in [([Self.info("rope.freqs_cos", [16, 8]), Self.info("rope.freqs_sin", [16, 8])], "rope.freqs_cos"),
                                ([Self.info("blocks.0.attn.rope.freqs", [4])], "blocks.0.attn.rope.freqs"),
                                ([Self.info("blocks.0.mlp.ffn_ln.weight", [64])], "blocks.0.mlp.ffn_ln.weight"),
                                ([Self.info("blocks.0.mlp.norm.weight", [64])], "blocks.0.mlp.norm.weight")] {
            let r = try #require(Self.refusal(Self.plain() + extra, options: MappingOptions(convention: .timm, heads: 4)))
            #expect(r.family.hasPrefix("EVA-02"))
            #expect(r.tensor == tensor)
            #expect(r.reason.contains("RoPE"))
            #expect(r.message.contains("refuses it rather than run it wrongly"))
        }
    }

    @Test("DINOv3: rope_embed and storage tokens in the original names; model_type dinov3_vit in a config.json")
    func dinov3() throws {
        let r = try #require(Self.refusal([Self.info("storage_tokens", [1, 4, Self.D])] + Self.plain() + [Self.info("rope_embed.periods", [4])]))
        #expect(r.family == "DINOv3" && r.tensor == "storage_tokens" && r.reason.contains("RoPE only"))
        let r2 = try #require(Self.refusal(Self.plain() + [Self.info("rope_embed.periods", [4])]))
        #expect(r2.family == "DINOv3" && r2.tensor == "rope_embed.periods")
        let hf = try #require(Self.refusal(Self.plain(), configJSON: #"{"model_type": "dinov3_vit", "num_attention_heads": 4}"#))
        #expect(hf.family == "DINOv3" && hf.tensor == "config.json model_type = dinov3_vit")
    }

    @Test("BEiT: a relative position bias table (timm and transformers names) or its index")
    func beit() throws {
        for name in ["blocks.0.attn.relative_position_bias_table",
                     "beit.encoder.layer.0.attention.attention.relative_position_bias.relative_position_bias_table",
                     "rel_pos_bias.relative_position_index"] {
            let r = try #require(Self.refusal(Self.plain() + [Self.info(name, [52, 4])]))
            #expect(r.family.hasPrefix("BEiT"))
            #expect(r.tensor == name)
            #expect(r.reason.contains("relative position bias"))
        }
    }

    @Test("SigLIP 2 NaFlex: a Linear patch embedding in transformers' names; model_type siglip2 in a config.json")
    func naflex() throws {
        let D = Self.D
        let naflex = [Self.info("vision_model.embeddings.patch_embedding.weight", [D, 3 * 16 * 16]),
                      Self.info("vision_model.embeddings.patch_embedding.bias", [D]),
                      Self.info("vision_model.embeddings.position_embedding.weight", [256, D])]
        let r = try #require(Self.refusal(naflex))
        #expect(r.family == "SigLIP 2 NaFlex" && r.tensor == "vision_model.embeddings.patch_embedding.weight")
        #expect(r.reason.contains("pre-patchified") && r.reason.contains("FixRes"))
        let byConfig = try #require(Self.refusal(Self.plain(), configJSON: #"{"model_type": "siglip2", "vision_config": {"model_type": "siglip2_vision_model"}}"#))
        #expect(byConfig.family == "SigLIP 2 NaFlex" && byConfig.tensor == "config.json model_type = siglip2")
        let vision = try #require(Self.refusal(Self.plain(), configJSON: #"{"vision_config": {"model_type": "siglip2_vision_model"}}"#))
        #expect(vision.tensor == "config.json vision_config.model_type = siglip2_vision_model")
    }

    @Test("a plain ViT, a SigLIP v1 conv patch embedding and timm's own norm names are not refused")
    func notRefused() throws {
        #expect(throws: Never.self) { try UnsupportedFamilies.check(Self.plain(), context: SourceContext(file: "x")) }
        let siglip = [Self.info("vision_model.embeddings.patch_embedding.weight", [Self.D, 3, 16, 16]),
                      Self.info("attn_pool.norm.weight", [Self.D]), Self.info("patch_embed.norm.weight", [Self.D])]
        #expect(throws: Never.self) {
            try UnsupportedFamilies.check(siglip, context: SourceContext(file: "x", configJSON: #"{"model_type": "siglip"}"#))
        }
    }
}
