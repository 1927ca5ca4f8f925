import ViTModel

/// The timm layout: canonical names (timm's own) plus `config.json` for `create_model("local-dir:OUT")`.
enum TimmExport {
    static func plan(_ c: ViTConfig, isZero: (String) throws -> Bool) throws -> ExportPlan {
        if c.finalNorm && c.fcNorm {
            throw ExportPlanner.combination(.timm, "both a final norm and fc_norm",
                                            "timm replaces the final norm by fc_norm")
        }
        var notes: [String] = []
        let arch = architecture(c)
        let archEps = arch.contains("_clip_") ? 1e-5 : 1e-6
        if c.layerNormEps != archEps {
            notes.append("LayerNorm eps \(c.layerNormEps) written as \(archEps), the eps of \(arch) "
                         + "(timm's config cannot set it; outputs differ by about \(abs(c.layerNormEps - archEps)) relative to the variance)")
        }
        var tensors: [ExportTensor] = []
        let reg = c.registersAfterPosEmbed
        if reg { notes.append("registers after the position embedding: cls_token = cls_token + pos_embed[0], pos_embed without its first row (timm's own DINOv2 conversion; exact at any grid, sums rounded once)") }
        for t in c.canonicalTensors {
            switch t.name {
            case "cls_token" where reg:
                tensors.append(ExportTensor("cls_token", t.shape, .clsPlusPosRow0(cls: "cls_token", pos: "pos_embed")))
            case "pos_embed" where reg:
                tensors.append(ExportTensor("pos_embed", [1, t.shape[1] - 1, t.shape[2]], .rowsAfterFirst("pos_embed")))
            case "patch_embed.proj.bias" where c.normPre:
                guard try isZero(t.name) else {
                    throw ExportError.nonZeroDropped(layout: .timm, tensor: t.name, feature: "pre_norm models have no patch bias",
                                                     holders: [.hf, .onnx])
                }
                notes.append("patch_embed.proj.bias is all zeros and left out (timm's pre_norm models have none)")
            default:
                tensors.append(ExportTensor(t.name, t.shape, .copy(t.name)))
            }
            if t.name == "patch_embed.proj.weight" && !c.patchBias && !c.normPre {
                tensors.append(ExportTensor("patch_embed.proj.bias", [c.embedDim], .zeros))
                notes.append("patch_embed.proj.bias written as zeros")
            }
            if (t.name == "head.weight" || t.name == "head_dist.weight") && !c.headBias {
                let b = t.name.replacingOccurrences(of: ".weight", with: ".bias")
                tensors.append(ExportTensor(b, [c.numClasses], .zeros))
                notes.append("\(b) written as zeros (the projection has no bias)")
            }
        }
        let (mean, std, crop, what) = ExportPlanner.preprocessing(c)
        notes.append("pretrained_cfg preprocessing assumed: \(what), bicubic, crop_pct \(crop) (the checkpoint does not record it)")
        let classifier: ConfigJSON = c.distilled ? .array([.string("head"), .string("head_dist")]) : .string("head")
        let pretrained: ConfigJSON = .object([
            ("tag", .string("vitkit")),
            ("custom_load", .bool(false)),
            ("input_size", .array([c.inChannels, c.imageSize[0], c.imageSize[1]].map(ConfigJSON.int))),
            ("fixed_input_size", .bool(true)),
            ("interpolation", .string("bicubic")),
            ("crop_pct", .double(crop)),
            ("crop_mode", .string("center")),
            ("mean", .array(mean.map(ConfigJSON.double))),
            ("std", .array(std.map(ConfigJSON.double))),
            ("num_classes", .int(c.numClasses)),
            ("pool_size", .null),
            ("first_conv", .string("patch_embed.proj")),
            ("classifier", classifier),
        ])
        var labels: [(String, ConfigJSON)] = []
        if let l = c.labels { labels = [("label_names", .array(l.map(ConfigJSON.string)))] }
        let config: ConfigJSON = .object([
            ("architecture", .string(arch)),
            ("num_classes", .int(c.numClasses)),
            ("num_features", .int(c.embedDim)),
            ("global_pool", .string(c.globalPool.rawValue)),
            ("model_args", modelArgs(c, arch: arch)),
            ("pretrained_cfg", pretrained),
        ] + labels)
        return ExportPlan(layout: .timm, target: arch, tensors: tensors, config: config, preprocessor: nil, notes: notes)
    }

    /// The timm architecture whose defaults match the model best; `model_args` state every difference.
    static func architecture(_ c: ViTConfig) -> String {
        if c.distilled { return "deit_base_distilled_patch16_224" }
        if c.activation == .swiglu {
            return c.registerTokens > 0 ? "vit_giant_patch14_reg4_dinov2" : "vit_giant_patch14_dinov2"
        }
        if c.layerNormEps == 1e-5 || c.normPre {
            return c.activation == .quickGelu ? "vit_base_patch16_clip_quickgelu_224" : "vit_base_patch16_clip_224"
        }
        if c.globalPool == .map { return "vit_base_patch16_siglip_224" }
        if c.layerScale { return c.registerTokens > 0 ? "vit_base_patch14_reg4_dinov2" : "vit_base_patch14_dinov2" }
        if c.registerTokens > 0 && c.globalPool == .avg { return "vit_base_patch16_reg4_gap_256" }
        return "vit_base_patch16_224"
    }

    /// Every VisionTransformer argument the model sets, so no architecture default decides anything.
    static func modelArgs(_ c: ViTConfig, arch: String) -> ConfigJSON {
        var a: [(String, ConfigJSON)] = [
            ("img_size", ExportPlanner.size(c.imageSize)),
            ("patch_size", ExportPlanner.size(c.patchSize)),
            ("in_chans", .int(c.inChannels)),
            ("num_classes", .int(c.numClasses)),
            ("global_pool", .string(c.globalPool.rawValue)),
            ("embed_dim", .int(c.embedDim)),
            ("depth", .int(c.depth)),
            ("num_heads", .int(c.numHeads)),
            ("mlp_ratio", .double(ExportPlanner.ratio(c.fc1OutDim, over: c.embedDim))),
            ("qkv_bias", .bool(c.qkvBias)),
            ("init_values", c.layerScale ? .double(1e-5) : .null),
            ("class_token", .bool(c.classToken)),
            ("no_embed_class", .bool(c.noEmbedClass || c.registersAfterPosEmbed)),
            ("reg_tokens", .int(c.registerTokens)),
            ("pre_norm", .bool(c.normPre)),
            ("final_norm", .bool(c.finalNorm || c.fcNorm)),
            ("fc_norm", .bool(c.fcNorm)),
        ]
        if c.activation != .swiglu { a.append(("act_layer", .string(c.activation.rawValue))) }
        return .object(a)
    }
}
