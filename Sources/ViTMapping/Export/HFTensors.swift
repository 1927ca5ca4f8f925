import ViTModel

/// The tensor list of one transformers class, in the order `save_pretrained` writes its state dict.
struct HFTensors {
    let config: ViTConfig
    let modelClass: HFExport.ModelClass
    let isZero: (String) throws -> Bool

    private var c: ViTConfig { config }
    private var d: Int { config.embedDim }

    func build(notes: inout [String]) throws -> [ExportTensor] {
        switch modelClass {
        case .vitClassification, .vitModel, .deitTeacher: return try vit(notes: &notes)
        case .dinov2, .dinov2Registers: return try dinov2(notes: &notes)
        case .clip, .clipProjection: return try clip(notes: &notes)
        case .siglip: return try siglip(notes: &notes)
        }
    }

    // MARK: shared pieces

    /// Canonical qkv split into query/key/value (weights, then biases or zeros when the model has none).
    private func qkv(_ i: Int, q: String, k: String, v: String, zeroBias: Bool, notes: inout [String]) -> [ExportTensor] {
        let b = "blocks.\(i).attn.qkv."
        var out: [ExportTensor] = []
        for (part, name) in [q, k, v].enumerated() {
            out.append(ExportTensor(name + ".weight", [c.attnDim, d], .rows(b + "weight", from: part, to: part + 1, parts: 3)))
            if c.qkvBias {
                out.append(ExportTensor(name + ".bias", [c.attnDim], .rows(b + "bias", from: part, to: part + 1, parts: 3)))
            } else if zeroBias {
                out.append(ExportTensor(name + ".bias", [c.attnDim], .zeros))
            }
        }
        if !c.qkvBias && zeroBias && i == 0 { notes.append("q/k/v biases written as zeros (the model has none)") }
        return out
    }

    private func layer(_ to: String, _ from: String, _ shapeW: [Int], _ shapeB: [Int]) -> [ExportTensor] {
        [ExportTensor(to + ".weight", shapeW, .copy(from + ".weight")), ExportTensor(to + ".bias", shapeB, .copy(from + ".bias"))]
    }

    private func norm(_ to: String, _ from: String) -> [ExportTensor] { layer(to, from, [d], [d]) }

    /// The position embedding with a row for the class token, as transformers' classes add it to [cls, patches].
    private func position(_ name: String, shape2D: Bool, notes: inout [String]) -> ExportTensor {
        let rows = c.numPatches + (c.classToken ? 1 : 0) + (c.distilled ? 1 : 0)
        let shape = shape2D ? [rows, d] : [1, rows, d]
        if c.noEmbedClass && c.classToken {
            notes.append("a zero position row was added for the class token (the model's pos_embed covers the patches only)")
            return ExportTensor(name, shape, .zeroRowThenRows("pos_embed"))
        }
        return ExportTensor(name, shape, .copy("pos_embed"))
    }

    private func patchBias(_ name: String, notes: inout [String]) -> ExportTensor {
        if c.patchBias { return ExportTensor(name, [d], .copy("patch_embed.proj.bias")) }
        notes.append("the patch bias is written as zeros (the model has none)")
        return ExportTensor(name, [d], .zeros)
    }

    private var patchWeightShape: [Int] { [d, c.inChannels, c.patchSize[0], c.patchSize[1]] }

    // MARK: classes

    private func vit(notes: inout [String]) throws -> [ExportTensor] {
        let p = modelClass == .vitModel ? "" : (modelClass == .deitTeacher ? "deit." : "vit.")
        var t: [ExportTensor] = [ExportTensor(p + "embeddings.cls_token", [1, 1, d], .copy("cls_token"))]
        if c.distilled { t.append(ExportTensor(p + "embeddings.distillation_token", [1, 1, d], .copy("dist_token"))) }
        t.append(position(p + "embeddings.position_embeddings", shape2D: false, notes: &notes))
        t.append(ExportTensor(p + "embeddings.patch_embeddings.projection.weight", patchWeightShape, .copy("patch_embed.proj.weight")))
        t.append(patchBias(p + "embeddings.patch_embeddings.projection.bias", notes: &notes))
        for i in 0..<c.depth {
            let h = "\(p)encoder.layer.\(i).", b = "blocks.\(i)."
            t += qkv(i, q: h + "attention.attention.query", k: h + "attention.attention.key", v: h + "attention.attention.value",
                     zeroBias: false, notes: &notes)
            t += layer(h + "attention.output.dense", b + "attn.proj", [d, d], [d])
            t += layer(h + "intermediate.dense", b + "mlp.fc1", [c.mlpHiddenDim, d], [c.mlpHiddenDim])
            t += layer(h + "output.dense", b + "mlp.fc2", [d, c.mlpHiddenDim], [d])
            t += norm(h + "layernorm_before", b + "norm1") + norm(h + "layernorm_after", b + "norm2")
        }
        t += norm(p + "layernorm", "norm")
        if modelClass == .vitModel, let r = c.preLogitsDim { t += layer("pooler.dense", "pre_logits.fc", [r, d], [r]) }
        if c.numClasses > 0 {
            let heads = c.distilled ? [("cls_classifier", "head"), ("distillation_classifier", "head_dist")] : [("classifier", "head")]
            for (to, from) in heads {
                t.append(ExportTensor(to + ".weight", [c.numClasses, d], .copy(from + ".weight")))
                t.append(c.headBias ? ExportTensor(to + ".bias", [c.numClasses], .copy(from + ".bias"))
                         : ExportTensor(to + ".bias", [c.numClasses], .zeros))
            }
            if !c.headBias { notes.append("the classifier bias is written as zeros (the model's head has none)") }
        }
        return t
    }

    private func dinov2(notes: inout [String]) throws -> [ExportTensor] {
        var t: [ExportTensor] = [ExportTensor("embeddings.cls_token", [1, 1, d], .copy("cls_token")),
                                 ExportTensor("embeddings.mask_token", [1, d], .zeros)]
        notes.append("embeddings.mask_token written as zeros (used only for masked image modelling)")
        if c.registerTokens > 0 {
            t.append(ExportTensor("embeddings.register_tokens", [1, c.registerTokens, d], .copy("reg_token")))
        }
        t.append(position("embeddings.position_embeddings", shape2D: false, notes: &notes))
        t.append(ExportTensor("embeddings.patch_embeddings.projection.weight", patchWeightShape, .copy("patch_embed.proj.weight")))
        t.append(patchBias("embeddings.patch_embeddings.projection.bias", notes: &notes))
        if !c.layerScale { notes.append("layer_scale lambdas written as ones (the model has no LayerScale)") }
        let (fc1, fc2) = c.activation == .swiglu ? ("mlp.weights_in", "mlp.weights_out") : ("mlp.fc1", "mlp.fc2")
        for i in 0..<c.depth {
            let h = "encoder.layer.\(i).", b = "blocks.\(i)."
            t += norm(h + "norm1", b + "norm1")
            t += qkv(i, q: h + "attention.attention.query", k: h + "attention.attention.key", v: h + "attention.attention.value",
                     zeroBias: false, notes: &notes)
            t += layer(h + "attention.output.dense", b + "attn.proj", [d, d], [d])
            t.append(ExportTensor(h + "layer_scale1.lambda1", [d], c.layerScale ? .copy(b + "ls1.gamma") : .ones))
            t += norm(h + "norm2", b + "norm2")
            t += layer(h + fc1, b + "mlp.fc1", [c.fc1OutDim, d], [c.fc1OutDim])
            t += layer(h + fc2, b + "mlp.fc2", [d, c.mlpHiddenDim], [d])
            t.append(ExportTensor(h + "layer_scale2.lambda1", [d], c.layerScale ? .copy(b + "ls2.gamma") : .ones))
        }
        if c.registerTokens > 0 && !c.registersAfterPosEmbed && !c.noEmbedClass {
            throw ExportError.cannotExpress(layout: .hf, feature: ModelFeature.positionOverRegisters.title,
                                            reason: "Dinov2WithRegistersModel adds no position to registers", holders: [.timm, .onnx])
        }
        return t + norm("layernorm", "norm")
    }

    /// CLIP's vision tower: `CLIPVisionModelWithProjection` writes it under `vision_model.`, `CLIPVisionModel`
    /// without a prefix (transformers 5.x `save_pretrained`).
    private func clip(notes: inout [String]) throws -> [ExportTensor] {
        let v = modelClass == .clipProjection ? "vision_model." : ""
        var t: [ExportTensor] = [ExportTensor(v + "embeddings.class_embedding", [d], .copy("cls_token")),
                                 ExportTensor(v + "embeddings.patch_embedding.weight", patchWeightShape, .copy("patch_embed.proj.weight"))]
        if c.patchBias {
            guard try isZero("patch_embed.proj.bias") else {
                throw ExportError.nonZeroDropped(layout: .hf, tensor: "patch_embed.proj.bias",
                                                 feature: "CLIP's patch embedding has no bias", holders: [.timm, .onnx])
            }
            notes.append("patch_embed.proj.bias is all zeros and left out (CLIP's patch embedding has none)")
        }
        t.append(position(v + "embeddings.position_embedding.weight", shape2D: true, notes: &notes))
        t += norm(v + "pre_layrnorm", "norm_pre")
        t += encoderLayers(v + "encoder.layers.", notes: &notes)
        t += norm(v + "post_layernorm", "norm")
        if c.numClasses > 0 {
            t.append(ExportTensor("visual_projection.weight", [c.numClasses, d], .copy("head.weight")))
            if c.headBias {
                guard try isZero("head.bias") else {
                    throw ExportError.nonZeroDropped(layout: .hf, tensor: "head.bias",
                                                     feature: "CLIP's visual_projection has no bias", holders: [.timm, .torchvision, .onnx])
                }
                notes.append("head.bias is all zeros and left out (visual_projection has no bias)")
            }
        }
        return t
    }

    /// CLIP's and SigLIP's encoder layers (`layer_norm1`, `self_attn.{q,k,v,out}_proj`, `layer_norm2`, `mlp.fc1/fc2`)
    /// under `prefix`; q, k and v take their zero biases when the model has none.
    private func encoderLayers(_ prefix: String, notes: inout [String]) -> [ExportTensor] {
        var t: [ExportTensor] = []
        for i in 0..<c.depth {
            let h = prefix + "\(i).", b = "blocks.\(i)."
            t += norm(h + "layer_norm1", b + "norm1")
            t += qkv(i, q: h + "self_attn.q_proj", k: h + "self_attn.k_proj", v: h + "self_attn.v_proj", zeroBias: true, notes: &notes)
            t += layer(h + "self_attn.out_proj", b + "attn.proj", [d, d], [d])
            t += norm(h + "layer_norm2", b + "norm2")
            t += layer(h + "mlp.fc1", b + "mlp.fc1", [c.mlpHiddenDim, d], [c.mlpHiddenDim])
            t += layer(h + "mlp.fc2", b + "mlp.fc2", [d, c.mlpHiddenDim], [d])
        }
        return t
    }

    private func siglip(notes: inout [String]) throws -> [ExportTensor] {
        var t: [ExportTensor] = [ExportTensor("embeddings.patch_embedding.weight", patchWeightShape, .copy("patch_embed.proj.weight")),
                                 patchBias("embeddings.patch_embedding.bias", notes: &notes),
                                 ExportTensor("embeddings.position_embedding.weight", [c.numPatches, d], .copy("pos_embed"))]
        t += encoderLayers("encoder.layers.", notes: &notes)
        t += norm("post_layernorm", "norm")
        let ph = c.poolMlpHiddenDim ?? c.mlpHiddenDim
        t.append(ExportTensor("head.probe", [1, 1, d], .copy("attn_pool.latent")))
        t.append(ExportTensor("head.attention.in_proj_weight", [3 * d, d], .concatRows(["attn_pool.q.weight", "attn_pool.kv.weight"])))
        t.append(ExportTensor("head.attention.in_proj_bias", [3 * d], .concatRows(["attn_pool.q.bias", "attn_pool.kv.bias"])))
        t += layer("head.attention.out_proj", "attn_pool.proj", [d, d], [d])
        t += norm("head.layernorm", "attn_pool.norm")
        t += layer("head.mlp.fc1", "attn_pool.mlp.fc1", [ph, d], [ph])
        t += layer("head.mlp.fc2", "attn_pool.mlp.fc2", [d, ph], [d])
        return t
    }
}
