/// Tables for the model families people hold today: DINOv2 (Hugging Face and the original code), CLIP (Hugging
/// Face, OpenAI / open_clip) and SigLIP (Hugging Face). Sources: families.md §1–§3 (names and shapes verified there
/// by loading the same weights in two libraries); docs/conventions.md has the tables as text.
extension Dialect {
    /// Hugging Face `Dinov2Model` / `Dinov2WithRegistersModel` as `save_pretrained` writes them (legacy names,
    /// families.md 0.1), and the 5.x in-memory names (`q_proj`…, `gate_proj`/`up_proj` are not packed and not read).
    /// `Dinov2ForImageClassification` adds the prefix `dinov2.` (`dinov2_with_registers.` with registers) and a `classifier` over concat(class token, mean of
    /// patch tokens) (pool `token_avg`).
    static let huggingFaceDinov2 = Dialect(
        convention: .hf, name: "transformers Dinov2 (save_pretrained names)", names: .tensorNames,
        rules: [Rule("{dinov2.|dinov2_with_registers.|}embeddings.cls_token", .clsToken),
                Rule("{dinov2.|dinov2_with_registers.|}embeddings.position_embeddings", .posEmbed),
                Rule("{dinov2.|dinov2_with_registers.|}embeddings.register_tokens", .regToken),
                Rule("{dinov2.|dinov2_with_registers.|}embeddings.mask_token", .dropped("mask token (masked image modelling only)"))]
        + Rule.layer("{dinov2.|dinov2_with_registers.|}embeddings.patch_embeddings.projection", Part.patchProj)
        + Rule.layer("{dinov2.|dinov2_with_registers.|}encoder.layer.{i}.norm1", Part.norm1)
        + Rule.layer("{dinov2.|dinov2_with_registers.|}encoder.layer.{i}.attention.{attention.query|q_proj}", Part.q)
        + Rule.layer("{dinov2.|dinov2_with_registers.|}encoder.layer.{i}.attention.{attention.key|k_proj}", Part.k)
        + Rule.layer("{dinov2.|dinov2_with_registers.|}encoder.layer.{i}.attention.{attention.value|v_proj}", Part.v)
        + Rule.layer("{dinov2.|dinov2_with_registers.|}encoder.layer.{i}.attention.{output.dense|o_proj}", Part.proj)
        + [Rule("{dinov2.|dinov2_with_registers.|}encoder.layer.{i}.layer_scale1.lambda1", .ls1),
           Rule("{dinov2.|dinov2_with_registers.|}encoder.layer.{i}.layer_scale2.lambda1", .ls2)]
        + Rule.layer("{dinov2.|dinov2_with_registers.|}encoder.layer.{i}.norm2", Part.norm2)
        // Plain MLP, or SwiGLU packed (`weights_in` = [gate; value], gate first) as the original `w12`.
        + Rule.layer("{dinov2.|dinov2_with_registers.|}encoder.layer.{i}.mlp.{fc1|weights_in}", Part.fc1)
        + Rule.layer("{dinov2.|dinov2_with_registers.|}encoder.layer.{i}.mlp.{fc2|weights_out}", Part.fc2)
        + Rule.layer("{dinov2.|dinov2_with_registers.|}layernorm", Part.norm)
        // Dinov2ForImageClassification: a Linear over concat(class token, mean of patch tokens).
        + Rule.layer("classifier", Part.head),
        sequentials: [],
        traits: Traits(eps: 1e-6, epsReason: "DINOv2's LayerNorm eps 1e-6", preLogitsActivation: .tanh,
                       pooling: .classTokenElseMean, allowsNoEmbedClass: false, posEmbedRule: .bicubic,
                       posEmbedRuleWithRegisters: .bicubicAntialias, family: "DINOv2 (transformers)"))

    /// Hugging Face `CLIPVisionModel[WithProjection]`, a whole `CLIPModel`, `SiglipVisionModel` and a whole
    /// `SiglipModel`, with or without the `vision_model.` prefix (5.x `save_pretrained` drops it). The text tower
    /// is dropped with a note.
    static let huggingFaceCLIP = Dialect(
        convention: .hf, name: "transformers CLIP / SigLIP vision tower", names: .tensorNames,
        rules: [Rule("{vision_model.|}embeddings.class_embedding", .clsToken, .vectorToken),
                Rule("{vision_model.|}embeddings.position_embedding.weight", .posEmbed, .tokenRows),
                Rule("{vision_model.|}embeddings.position_ids", .dropped("position ids buffer")),
                Rule("text_model.{*}", .dropped("text tower (text_model.*, text_projection, logit_scale/bias)")),
                Rule("text_projection.weight", .dropped("text tower (text_model.*, text_projection, logit_scale/bias)")),
                Rule("logit_{scale|bias}", .dropped("text tower (text_model.*, text_projection, logit_scale/bias)")),
                // CLIP's projection has no bias; `visual_projection.weight` is (embed, width) like a Linear.
                Rule("visual_projection.weight", .head(.weight))]
        + Rule.layer("{vision_model.|}embeddings.patch_embedding", Part.patchProj)
        + Rule.layer("{vision_model.|}pre_layrnorm", Part.normPre)
        + Rule.layer("{vision_model.|}encoder.layers.{i}.layer_norm1", Part.norm1)
        + Rule.layer("{vision_model.|}encoder.layers.{i}.self_attn.q_proj", Part.q)
        + Rule.layer("{vision_model.|}encoder.layers.{i}.self_attn.k_proj", Part.k)
        + Rule.layer("{vision_model.|}encoder.layers.{i}.self_attn.v_proj", Part.v)
        + Rule.layer("{vision_model.|}encoder.layers.{i}.self_attn.out_proj", Part.proj)
        + Rule.layer("{vision_model.|}encoder.layers.{i}.layer_norm2", Part.norm2)
        + Rule.layer("{vision_model.|}encoder.layers.{i}.mlp.fc1", Part.fc1)
        + Rule.layer("{vision_model.|}encoder.layers.{i}.mlp.fc2", Part.fc2)
        + Rule.layer("{vision_model.|}post_layernorm", Part.norm)
        // SigLIP's MAP head (`nn.MultiheadAttention`, q rows first in the packed in-projection).
        + [Rule("{vision_model.|}head.probe", .poolLatent),
           Rule("{vision_model.|}head.attention.in_proj_weight", .poolInProj(.weight)),
           Rule("{vision_model.|}head.attention.in_proj_bias", .poolInProj(.bias))]
        + Rule.layer("{vision_model.|}head.attention.out_proj", Part.poolProj)
        + Rule.layer("{vision_model.|}head.layernorm", Part.poolNorm)
        + Rule.layer("{vision_model.|}head.mlp.fc1", Part.poolFc1)
        + Rule.layer("{vision_model.|}head.mlp.fc2", Part.poolFc2),
        sequentials: [],
        traits: Traits(eps: 1e-5, epsReason: "transformers CLIPVisionConfig default layer_norm_eps 1e-5",
                       preLogitsActivation: .tanh, pooling: .classTokenElseMean, allowsNoEmbedClass: false,
                       activation: .quickGelu, activationReason: "transformers CLIPVisionConfig default hidden_act quick_gelu",
                       posEmbedRule: .bicubic, posEmbedRuleWithRegisters: .bicubic))

    /// The OpenAI CLIP / open_clip layout (`visual.*`; the text tower is dropped with a note). QuickGELU by default:
    /// the OpenAI weights need it; LAION-trained open_clip models without `-quickgelu` need `--activation gelu`.
    static let openaiCLIP = Dialect(
        convention: .openaiCLIP, name: "OpenAI CLIP / open_clip", names: .tensorNames,
        rules: [Rule("visual.class_embedding", .clsToken, .vectorToken),
                Rule("visual.positional_embedding", .posEmbed, .tokenRows),
                Rule("visual.proj", .head(.weight), .denseKernel),
                Rule("visual.conv1.weight", .patchProj(.weight)),
                Rule("visual.transformer.resblocks.{i}.attn.in_proj_weight", .qkv(.weight)),
                Rule("visual.transformer.resblocks.{i}.attn.in_proj_bias", .qkv(.bias)),
                Rule("visual.transformer.resblocks.{i}.ls_1.gamma", .ls1),
                Rule("visual.transformer.resblocks.{i}.ls_2.gamma", .ls2)]
        + Rule.layer("visual.ln_pre", Part.normPre)
        + Rule.layer("visual.transformer.resblocks.{i}.ln_1", Part.norm1)
        + Rule.layer("visual.transformer.resblocks.{i}.attn.out_proj", Part.proj)
        + Rule.layer("visual.transformer.resblocks.{i}.ln_2", Part.norm2)
        + Rule.layer("visual.transformer.resblocks.{i}.mlp.c_fc", Part.fc1)
        + Rule.layer("visual.transformer.resblocks.{i}.mlp.c_proj", Part.fc2)
        + Rule.layer("visual.ln_post", Part.norm)
        + ["token_embedding.weight", "positional_embedding", "transformer.{*}", "ln_final.{*}", "text_projection",
           "logit_scale", "logit_bias", "attn_mask", "{input_resolution|context_length|vocab_size}"]
            .map { Rule($0, .dropped("text tower (token_embedding, transformer.*, ln_final, text_projection, logit_scale)")) },
        sequentials: [],
        traits: Traits(eps: 1e-5, epsReason: "CLIP's LayerNorm eps 1e-5", preLogitsActivation: .tanh,
                       pooling: .classTokenElseMean, allowsNoEmbedClass: false, activation: .quickGelu,
                       activationReason: "QuickGELU assumed: the OpenAI CLIP weights need it (pass --activation gelu for a LAION-trained open_clip model without -quickgelu)",
                       posEmbedRule: .bicubic, posEmbedRuleWithRegisters: .bicubic, family: "CLIP (OpenAI / open_clip)"))

    /// The original facebookresearch DINOv2 (hub `dinov2_vit*14[_reg]` and training checkpoints with
    /// `teacher.backbone.` and chunked blocks `blocks.<chunk>.<i>`). The `mask_token` (iBOT masking) is dropped.
    static let dinov2 = Dialect(
        convention: .dinov2, name: "facebookresearch DINOv2", names: .tensorNames,
        rules: [Rule("{teacher.backbone.|}cls_token", .clsToken), Rule("{teacher.backbone.|}pos_embed", .posEmbed),
                Rule("{teacher.backbone.|}register_tokens", .regToken),
                Rule("{teacher.backbone.|}mask_token", .dropped("mask token (iBOT masking, unused at inference)"))]
        + Rule.layer("{teacher.backbone.|}patch_embed.proj", Part.patchProj)
        + ["blocks.{i}.", "blocks.{k}.{i}."].flatMap { (b: String) -> [Rule] in
            let p = "{teacher.backbone.|}" + b
            return Rule.layer(p + "norm1", Part.norm1) + Rule.layer(p + "attn.qkv", Part.qkv)
                + Rule.layer(p + "attn.proj", Part.proj) + [Rule(p + "ls1.gamma", .ls1), Rule(p + "ls2.gamma", .ls2)]
                + Rule.layer(p + "norm2", Part.norm2)
                + Rule.layer(p + "mlp.{fc1|w12}", Part.fc1) + Rule.layer(p + "mlp.{fc2|w3}", Part.fc2)
        }
        + Rule.layer("{teacher.backbone.|}norm", Part.norm),
        sequentials: [],
        // timm's own DINOv2 state dicts have the same block names; the original always has its mask token.
        tellTales: ["{teacher.backbone.|}mask_token", "{teacher.backbone.|}register_tokens"],
        traits: Traits(eps: 1e-6, epsReason: "DINOv2's LayerNorm eps 1e-6", preLogitsActivation: .tanh,
                       pooling: .classTokenElseMean, allowsNoEmbedClass: false, posEmbedRule: .dinov2Offset,
                       posEmbedRuleWithRegisters: .bicubicAntialias, family: "DINOv2 (facebookresearch)"))

    /// open_clip models on a timm trunk (SigLIP `ViT-*-SigLIP*`, and any `timm_model_name` tower): `visual.trunk.` +
    /// timm's own names, an optional projection `visual.head.proj` (a Linear, bias only with `timm_proj_bias`); the
    /// text tower (`text.*`, or the top-level OpenAI text names) and `logit_scale`/`logit_bias` are dropped with a
    /// note. The trunk is a timm model, so timm's traits hold (its SigLIP archs run exact GELU, as open_clip does).
    static let openCLIPTimmTrunk = Dialect(
        convention: .timm, name: "open_clip timm trunk (visual.trunk.*)", names: .tensorNames,
        rules: Dialect.timm.rules.map { Rule("visual.trunk." + $0.pattern.text, $0.part, $0.layout) }
            + Rule.layer("visual.head.proj", Part.head)
            + ["text.{*}", "token_embedding.weight", "positional_embedding", "transformer.{*}", "ln_final.{*}",
               "text_projection", "text_projection.weight", "text_projection.bias", "logit_scale", "logit_bias", "attn_mask"]
                .map { Rule($0, .dropped("text tower (text.* or token_embedding, transformer.*, ln_final, text_projection) and logit_scale/bias")) },
        sequentials: [],
        traits: Traits(eps: 1e-6, epsReason: "timm's LayerNorm eps 1e-6 (the trunk is a timm model)", preLogitsActivation: .tanh,
                       pooling: .timm, allowsNoEmbedClass: true, family: "open_clip (timm trunk)"))
}
