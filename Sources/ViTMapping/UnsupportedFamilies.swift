import ViTTensor

/// ViT families the canonical model cannot run, recognised by name so that they are refused with the reason
/// instead of being mapped into something that computes another function (families.md §3, §5, §6, §10):
/// rotary position embeddings (EVA-02, DINOv3), BEiT's relative position bias, and SigLIP 2 NaFlex inputs.
enum UnsupportedFamilies {
    /// One refusal rule: a tensor-name test and what to say.
    struct Rule: Sendable {
        let family: String
        let reason: String
        let matches: @Sendable (_ components: [Substring], _ info: TensorInfo) -> Bool
    }

    static let rope = "rotary position embeddings (RoPE) rotate q and k in every block by each token's 2-D position; "
        + "the canonical model has learned absolute position embeddings only, so it would compute another function"

    /// Rules in order; the first tensor that matches any of them is named.
    static let rules: [Rule] = [
        Rule(family: "DINOv3", reason: rope + " (DINOv3: RoPE only, no learned position embedding)") { c, _ in
            c.contains { $0 == "rope_embed" || $0 == "rope_embeddings" || $0 == "storage_tokens" }
        },
        Rule(family: "EVA-02 (or another RoPE ViT)", reason: rope + " (EVA-02: RoPE on top of its learned position embedding)") { c, _ in
            c.contains { ["rope", "rotary_emb", "rotary_pos_emb", "freqs_cos", "freqs_sin"].contains($0) }
        },
        Rule(family: "EVA-02", reason: "EVA-02 blocks: " + rope
             + "; its RoPE tables are computed, not stored, and its MLP has a LayerNorm inside (ffn_ln / inner_attn_ln)") { c, _ in
            // Original EVA names, and timm eva.py's (`mlp.norm` is the SwiGLU's inner LayerNorm).
            c.contains { $0 == "ffn_ln" || $0 == "inner_attn_ln" } || zip(c, c.dropFirst()).contains { $0 == "mlp" && $1 == "norm" }
        },
        Rule(family: "BEiT (BEiT, BEiT v2, Data2Vec-vision; also Swin)",
             reason: "a relative position bias added to every attention score from a learned table indexed by token offsets; "
                + "the canonical attention has no bias term, so the model would compute another function") { c, _ in
            c.contains { $0 == "relative_position_bias_table" || $0 == "relative_position_index" }
        },
        Rule(family: "SigLIP 2 NaFlex",
             reason: "a Linear patch embedding over pre-patchified inputs with their spatial shapes and a padding mask, "
                + "and a position grid resized per image (bilinear, antialias); ViTKit runs fixed-grid images only "
                + "(SigLIP 2 FixRes checkpoints, loaded by transformers as SiglipModel, do run)") { c, info in
            c.count >= 3 && Array(c.suffix(3)) == ["embeddings", "patch_embedding", "weight"] && info.shape.count == 2
        },
    ]

    /// Hugging Face `model_type`s of the same families (config.json, or its `vision_config`).
    static let modelTypes: [String: (family: String, reason: String)] = [
        "dinov3_vit": ("DINOv3", rope + " (DINOv3: RoPE only, no learned position embedding)"),
        "siglip2": ("SigLIP 2 NaFlex", "transformers' Siglip2 models take pre-patchified inputs with spatial shapes and a padding "
                    + "mask and resize the position grid per image; ViTKit runs fixed-grid images only (SigLIP 2 FixRes "
                    + "checkpoints are SiglipModel, model_type siglip, and do run)"),
        "siglip2_vision_model": ("SigLIP 2 NaFlex", "transformers' Siglip2 vision model takes pre-patchified inputs with spatial "
                                 + "shapes and a padding mask; ViTKit runs fixed-grid images only"),
    ]

    /// Refuses a checkpoint of a family the canonical model cannot run.
    /// - Throws: `MappingError.unsupportedFamily` naming the family, the first tensor (or config key) that shows
    ///   it, and why.
    static func check(_ infos: [TensorInfo], context: SourceContext) throws {
        for info in infos {
            let components = info.name.split(whereSeparator: { $0 == "." || $0 == "/" })
            if let r = rules.first(where: { $0.matches(components, info) }) {
                throw MappingError.unsupportedFamily(file: context.file, family: r.family, tensor: info.name, reason: r.reason)
            }
        }
        guard let text = context.configJSON, let json = JSONValue.parse(text) else { return }
        for (key, value) in [("model_type", json["model_type"]), ("vision_config.model_type", json["vision_config"]?["model_type"])] {
            if let t = value?.string, let f = modelTypes[t] {
                throw MappingError.unsupportedFamily(file: context.file, family: f.family, tensor: "config.json \(key) = \(t)",
                                                     reason: f.reason)
            }
        }
    }
}
