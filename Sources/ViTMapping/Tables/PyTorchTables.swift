/// Tables for the library-made PyTorch conventions: timm, torchvision, Hugging Face, vit-pytorch.
/// Sources: conventions.md §1 and §2.1–2.3 (each mapping verified there by loading into timm strictly).
extension Dialect {
    /// timm `VisionTransformer`: the canonical names themselves (and ViTKit's own outputs).
    static let timm = Dialect(
        convention: .timm, name: "timm", names: .tensorNames,
        rules: [
            Rule("cls_token", .clsToken), Rule("reg_token", .regToken), Rule("dist_token", .distToken),
            Rule("pos_embed", .posEmbed),
            Rule("attn_pool.latent", .poolLatent),
        ]
        + Rule.layer("attn_pool.q", Part.poolQ) + Rule.layer("attn_pool.kv", Part.poolKV)
        + Rule.layer("attn_pool.proj", Part.poolProj) + Rule.layer("attn_pool.norm", Part.poolNorm)
        + Rule.layer("attn_pool.mlp.fc1", Part.poolFc1) + Rule.layer("attn_pool.mlp.fc2", Part.poolFc2)
        + Rule.layer("patch_embed.norm_pre", Part.patchNormPre)
        + Rule.layer("patch_embed.proj", Part.patchProj)
        + Rule.layer("patch_embed.norm", Part.patchNorm)
        + Rule.layer("norm_pre", Part.normPre)
        + Rule.layer("blocks.{i}.norm1", Part.norm1)
        + Rule.layer("blocks.{i}.attn.qkv", Part.qkv)
        + Rule.layer("blocks.{i}.attn.proj", Part.proj)
        + [Rule("blocks.{i}.ls1.gamma", .ls1), Rule("blocks.{i}.ls2.gamma", .ls2),
           // DeiT checkpoints before timm's LayerScale rename (`adapt_layer_scale`).
           Rule("blocks.{i}.gamma_1", .ls1), Rule("blocks.{i}.gamma_2", .ls2)]
        + Rule.layer("blocks.{i}.norm2", Part.norm2)
        + Rule.layer("blocks.{i}.mlp.fc1", Part.fc1)
        + Rule.layer("blocks.{i}.mlp.fc2", Part.fc2)
        + Rule.layer("norm", Part.norm)
        + Rule.layer("fc_norm", Part.fcNorm)
        + Rule.layer("pre_logits.fc", Part.preLogits)
        + Rule.layer("head", Part.head)
        + Rule.layer("head_dist", Part.headDist),
        sequentials: [],
        traits: Traits(eps: 1e-6, epsReason: "timm's LayerNorm eps 1e-6", preLogitsActivation: .tanh,
                       pooling: .timm, allowsNoEmbedClass: true))

    /// torchvision `VisionTransformer`; the MLP is `mlp.0/3` (or `mlp.linear_1/2` in older checkpoints).
    static let torchvision = Dialect(
        convention: .torchvision, name: "torchvision", names: .tensorNames,
        rules: [Rule("class_token", .clsToken), Rule("encoder.pos_embedding", .posEmbed)]
        + Rule.layer("conv_proj", Part.patchProj)
        + Rule.layer("encoder.layers.encoder_layer_{i}.ln_1", Part.norm1)
        + [Rule("encoder.layers.encoder_layer_{i}.self_attention.in_proj_weight", .qkv(.weight)),
           Rule("encoder.layers.encoder_layer_{i}.self_attention.in_proj_bias", .qkv(.bias))]
        + Rule.layer("encoder.layers.encoder_layer_{i}.self_attention.out_proj", Part.proj)
        + Rule.layer("encoder.layers.encoder_layer_{i}.ln_2", Part.norm2)
        + Rule.layer("encoder.layers.encoder_layer_{i}.mlp.{0|linear_1}", Part.fc1)
        + Rule.layer("encoder.layers.encoder_layer_{i}.mlp.{3|linear_2}", Part.fc2)
        + Rule.layer("encoder.ln", Part.norm)
        + Rule.layer("heads.pre_logits", Part.preLogits)
        + Rule.layer("heads.head", Part.head),
        sequentials: [],
        traits: Traits(eps: 1e-6, epsReason: "torchvision's ViT LayerNorm eps 1e-6", preLogitsActivation: .tanh,
                       pooling: .classTokenElseMean, allowsNoEmbedClass: false))

    /// Hugging Face transformers ViT, v4 names (what `save_pretrained` writes, also in transformers 5).
    /// `ViTForImageClassification` prefixes the backbone with `vit.`; a bare `ViTModel` does not.
    static let huggingFace = Dialect(
        convention: .hf, name: "transformers (save_pretrained names)", names: .tensorNames,
        rules: huggingFaceCommon + [
            Rule("{vit.|deit.|}encoder.layer.{i}.attention.attention.query.weight", .q(.weight)),
            Rule("{vit.|deit.|}encoder.layer.{i}.attention.attention.query.bias", .q(.bias)),
            Rule("{vit.|deit.|}encoder.layer.{i}.attention.attention.key.weight", .k(.weight)),
            Rule("{vit.|deit.|}encoder.layer.{i}.attention.attention.key.bias", .k(.bias)),
            Rule("{vit.|deit.|}encoder.layer.{i}.attention.attention.value.weight", .v(.weight)),
            Rule("{vit.|deit.|}encoder.layer.{i}.attention.attention.value.bias", .v(.bias)),
        ]
        // Both names are whole-name patterns, so `attention.output.dense` never matches the MLP's `output.dense`.
        + Rule.layer("{vit.|deit.|}encoder.layer.{i}.attention.output.dense", Part.proj)
        + Rule.layer("{vit.|deit.|}encoder.layer.{i}.layernorm_before", Part.norm1)
        + Rule.layer("{vit.|deit.|}encoder.layer.{i}.layernorm_after", Part.norm2)
        + Rule.layer("{vit.|deit.|}encoder.layer.{i}.intermediate.dense", Part.fc1)
        + Rule.layer("{vit.|deit.|}encoder.layer.{i}.output.dense", Part.fc2),
        sequentials: [],
        traits: huggingFaceTraits)

    /// Hugging Face transformers 5 in-memory names (a `state_dict()` saved directly, not via `save_pretrained`).
    static let huggingFace5 = Dialect(
        convention: .hf, name: "transformers 5 (in-memory names)", names: .tensorNames,
        rules: huggingFaceCommon
        + Rule.layer("{vit.|deit.|}layers.{i}.attention.q_proj", Part.q)
        + Rule.layer("{vit.|deit.|}layers.{i}.attention.k_proj", Part.k)
        + Rule.layer("{vit.|deit.|}layers.{i}.attention.v_proj", Part.v)
        + Rule.layer("{vit.|deit.|}layers.{i}.attention.o_proj", Part.proj)
        + Rule.layer("{vit.|deit.|}layers.{i}.layernorm_before", Part.norm1)
        + Rule.layer("{vit.|deit.|}layers.{i}.layernorm_after", Part.norm2)
        + Rule.layer("{vit.|deit.|}layers.{i}.mlp.fc1", Part.fc1)
        + Rule.layer("{vit.|deit.|}layers.{i}.mlp.fc2", Part.fc2),
        sequentials: [],
        traits: huggingFaceTraits)

    private static let huggingFaceCommon: [Rule] =
        [Rule("{vit.|deit.|}embeddings.cls_token", .clsToken),
         Rule("{vit.|deit.|}embeddings.position_embeddings", .posEmbed),
         Rule("{vit.|deit.|}embeddings.mask_token", .noEquivalent("HF mask token (masked image modelling only)"))]
        + Rule.layer("{vit.|deit.|}embeddings.patch_embeddings.projection", Part.patchProj)
        + Rule.layer("{vit.|deit.|}layernorm", Part.norm)
        // The pooler (Linear + tanh on the class token) is pre_logits when there is no classifier.
        + Rule.layer("{vit.|deit.|}pooler.dense", Part.pooler)
        + Rule.layer("classifier", Part.head)
        // DeiT (`DeiTForImageClassificationWithTeacher`): the distillation token and the two heads.
        + [Rule("deit.embeddings.distillation_token", .distToken)]
        + Rule.layer("cls_classifier", Part.head) + Rule.layer("distillation_classifier", Part.headDist)
        // ViTMAEForPreTraining: the decoder is not part of the encoder's inference.
        + [Rule("decoder.{*}", .dropped("MAE pretraining decoder (decoder.*)"))]

    static let huggingFaceTraits = Traits(
        eps: 1e-12, epsReason: "transformers ViTConfig default layer_norm_eps 1e-12", preLogitsActivation: .tanh,
        pooling: .classTokenElseMean, allowsNoEmbedClass: false, posEmbedRule: .bicubic,
        posEmbedRuleWithRegisters: .bicubicAntialias)

    private static let vitPytorchTraits = Traits(
        eps: 1e-5, epsReason: "PyTorch's LayerNorm default 1e-5 (vit-pytorch does not set eps)", preLogitsActivation: .tanh,
        pooling: .classTokenElseMean, allowsNoEmbedClass: false)

    /// lucidrains vit-pytorch 1.x: 2-D `cls_token` (1, D) (or (0, D) with `pool='mean'`) and `pos_embedding`
    /// (G+1, D); LayerNorm → Linear → LayerNorm over (p1 p2 c) patches; `to_qkv` without bias; final
    /// `transformer.norm` over all tokens.
    static let vitPytorch = Dialect(
        convention: .vitPytorch, name: "vit-pytorch 1.x", names: .tensorNames,
        rules: [Rule("cls_token", .clsToken, .tokenRows), Rule("pos_embedding", .posEmbed, .tokenRows)]
        + Rule.layer("to_patch_embedding.1", Part.patchNormPre, .patchNormRowColChannel)
        + [Rule("to_patch_embedding.2.weight", .patchProj(.weight), .patchLinearRowColChannel),
           Rule("to_patch_embedding.2.bias", .patchProj(.bias))]
        + Rule.layer("to_patch_embedding.3", Part.patchNorm)
        + Rule.layer("transformer.layers.{i}.0.norm", Part.norm1)
        + Rule.layer("transformer.layers.{i}.0.to_qkv", Part.qkv)
        + Rule.layer("transformer.layers.{i}.0.to_out.0", Part.proj)
        + Rule.layer("transformer.norm", Part.norm)
        + Rule.layer("mlp_head", Part.head),
        sequentials: [SequentialRule("transformer.layers.{i}.1.net", [3: [.norm2, .fc1, .fc2]])],
        traits: vitPytorchTraits)

    /// vit-pytorch 0.35 ("PreNorm" era): 3-D tokens, a bare Linear patch embedding, `fn.`-wrapped attention and
    /// MLP, no `transformer.norm`; `mlp_head` = LayerNorm + Linear on the pooled token.
    static let vitPytorchPreNorm = Dialect(
        convention: .vitPytorch, name: "vit-pytorch 0.35 (PreNorm)", names: .tensorNames,
        rules: [Rule("cls_token", .clsToken), Rule("pos_embedding", .posEmbed),
                Rule("to_patch_embedding.1.weight", .patchProj(.weight), .patchLinearRowColChannel),
                Rule("to_patch_embedding.1.bias", .patchProj(.bias))]
        + Rule.layer("transformer.layers.{i}.0.norm", Part.norm1)
        + Rule.layer("transformer.layers.{i}.0.fn.to_qkv", Part.qkv)
        + Rule.layer("transformer.layers.{i}.0.fn.to_out.0", Part.proj)
        + Rule.layer("transformer.layers.{i}.1.norm", Part.norm2),
        sequentials: [SequentialRule("transformer.layers.{i}.1.fn.net", [2: [.fc1, .fc2]]),
                      SequentialRule("mlp_head", [2: [.headNorm, .head]])],
        traits: vitPytorchTraits)
}
