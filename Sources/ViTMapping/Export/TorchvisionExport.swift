import ViTModel

/// The torchvision layout: a `VisionTransformer` state dict (`encoder.layers.encoder_layer_{i}`, packed
/// `in_proj_weight`, `heads.head`, `heads.pre_logits` with a representation layer). torchvision keeps no config
/// file: the plan's `config` holds the constructor's arguments, which the export prints and stores as metadata.
enum TorchvisionExport {
    static func plan(_ c: ViTConfig) throws -> ExportPlan {
        if c.distilled || c.registerTokens > 0 {
            throw ExportPlanner.combination(.torchvision, "extra prefix tokens", "torchvision has only class_token",
                                            holders: [.timm, .hf, .onnx])
        }
        let d = c.embedDim, h = c.mlpHiddenDim
        var notes: [String] = []
        var t: [ExportTensor] = [ExportTensor("class_token", [1, 1, d], .copy("cls_token")),
                                 ExportTensor("conv_proj.weight", [d, c.inChannels, c.patchSize[0], c.patchSize[1]],
                                              .copy("patch_embed.proj.weight"))]
        if c.patchBias { t.append(ExportTensor("conv_proj.bias", [d], .copy("patch_embed.proj.bias"))) } else {
            t.append(ExportTensor("conv_proj.bias", [d], .zeros))
            notes.append("conv_proj.bias written as zeros (the model has none)")
        }
        if c.noEmbedClass {
            t.append(ExportTensor("encoder.pos_embedding", [1, c.numPatches + 1, d], .zeroRowThenRows("pos_embed")))
            notes.append("a zero position row was added for the class token (the model's pos_embed covers the patches only)")
        } else {
            t.append(ExportTensor("encoder.pos_embedding", [1, c.numPatches + 1, d], .copy("pos_embed")))
        }
        for i in 0..<c.depth {
            let p = "encoder.layers.encoder_layer_\(i).", b = "blocks.\(i)."
            t += [ExportTensor(p + "ln_1.weight", [d], .copy(b + "norm1.weight")),
                  ExportTensor(p + "ln_1.bias", [d], .copy(b + "norm1.bias")),
                  ExportTensor(p + "self_attention.in_proj_weight", [3 * d, d], .copy(b + "attn.qkv.weight")),
                  ExportTensor(p + "self_attention.in_proj_bias", [3 * d], c.qkvBias ? .copy(b + "attn.qkv.bias") : .zeros),
                  ExportTensor(p + "self_attention.out_proj.weight", [d, d], .copy(b + "attn.proj.weight")),
                  ExportTensor(p + "self_attention.out_proj.bias", [d], .copy(b + "attn.proj.bias")),
                  ExportTensor(p + "ln_2.weight", [d], .copy(b + "norm2.weight")),
                  ExportTensor(p + "ln_2.bias", [d], .copy(b + "norm2.bias")),
                  ExportTensor(p + "mlp.0.weight", [h, d], .copy(b + "mlp.fc1.weight")),
                  ExportTensor(p + "mlp.0.bias", [h], .copy(b + "mlp.fc1.bias")),
                  ExportTensor(p + "mlp.3.weight", [d, h], .copy(b + "mlp.fc2.weight")),
                  ExportTensor(p + "mlp.3.bias", [d], .copy(b + "mlp.fc2.bias"))]
        }
        if !c.qkvBias { notes.append("in_proj_bias written as zeros (the model has no qkv bias)") }
        t += [ExportTensor("encoder.ln.weight", [d], .copy("norm.weight")), ExportTensor("encoder.ln.bias", [d], .copy("norm.bias"))]
        if let r = c.preLogitsDim {
            t += [ExportTensor("heads.pre_logits.weight", [r, d], .copy("pre_logits.fc.weight")),
                  ExportTensor("heads.pre_logits.bias", [r], .copy("pre_logits.fc.bias"))]
        }
        t.append(ExportTensor("heads.head.weight", [c.numClasses, c.featureDim], .copy("head.weight")))
        if c.headBias { t.append(ExportTensor("heads.head.bias", [c.numClasses], .copy("head.bias"))) } else {
            t.append(ExportTensor("heads.head.bias", [c.numClasses], .zeros))
            notes.append("heads.head.bias written as zeros (the model's head has none)")
        }
        let args = arguments(c)
        notes.append("build it with torchvision.models.VisionTransformer(\(constructorText(args))) and load_state_dict(strict=True)")
        return ExportPlan(layout: .torchvision, target: "torchvision.models.VisionTransformer", tensors: t, config: args,
                          preprocessor: nil, notes: notes)
    }

    /// The `VisionTransformer(...)` arguments (`norm_layer_eps` stands for `norm_layer=partial(nn.LayerNorm, eps=…)`).
    static func arguments(_ c: ViTConfig) -> ConfigJSON {
        .object([("image_size", .int(c.imageSize[0])), ("patch_size", .int(c.patchSize[0])),
                 ("num_layers", .int(c.depth)), ("num_heads", .int(c.numHeads)), ("hidden_dim", .int(c.embedDim)),
                 ("mlp_dim", .int(c.mlpHiddenDim)), ("num_classes", .int(c.numClasses)),
                 ("representation_size", c.preLogitsDim.map(ConfigJSON.int) ?? .null),
                 ("norm_layer_eps", .double(c.layerNormEps))])
    }

    static func constructorText(_ args: ConfigJSON) -> String {
        guard case let .object(kv) = args else { return "" }
        return kv.map { k, v in
            if k == "norm_layer_eps" { return "norm_layer=partial(nn.LayerNorm, eps=\(v.text()))" }
            if case .null = v { return "\(k)=None" }
            return "\(k)=\(v.text())"
        }.joined(separator: ", ")
    }
}
