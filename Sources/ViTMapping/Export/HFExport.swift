import ViTModel

/// The Hugging Face transformers layout: one model class per family, its `save_pretrained` tensor names
/// (legacy 4.x names for ViT, DeiT and DINOv2; `vision_model.` for CLIPVisionModelWithProjection only, as 5.x writes them),
/// its `config.json` and `preprocessor_config.json`.
enum HFExport {
    /// The transformers classes an export picks from.
    enum ModelClass: String {
        case vitClassification = "ViTForImageClassification"
        case vitModel = "ViTModel"
        case deitTeacher = "DeiTForImageClassificationWithTeacher"
        case dinov2 = "Dinov2Model"
        case dinov2Registers = "Dinov2WithRegistersModel"
        case clip = "CLIPVisionModel"
        case clipProjection = "CLIPVisionModelWithProjection"
        case siglip = "SiglipVisionModel"
    }

    static func plan(_ c: ViTConfig, isZero: (String) throws -> Bool) throws -> ExportPlan {
        let cls = try modelClass(c)
        var notes: [String] = []
        let tensors = try withoutActuallyEscaping(isZero) { z in
            try HFTensors(config: c, modelClass: cls, isZero: z).build(notes: &notes)
        }
        let (mean, std, crop, what) = ExportPlanner.preprocessing(c)
        notes.append("preprocessor_config.json assumes \(what), bicubic (the checkpoint does not record them)")
        if cls == .vitClassification && c.numClasses == 0 {
            notes.append("no classifier: ViTForImageClassification with num_labels 0 returns the normed class token as logits")
        }
        return ExportPlan(layout: .hf, target: cls.rawValue, tensors: tensors, config: config(c, cls),
                          preprocessor: preprocessor(c, cls, mean: mean, std: std, crop: crop), notes: notes)
    }

    /// The class that holds the model, or the combination no class holds.
    static func modelClass(_ c: ViTConfig) throws -> ModelClass {
        func no(_ f: String, _ why: String, _ holders: [ExportLayout] = [.timm, .onnx]) -> ExportError {
            ExportPlanner.combination(.hf, f, why, holders: holders)
        }
        let square = c.imageSize[0] == c.imageSize[1] && c.patchSize[0] == c.patchSize[1]
        if c.representationLayer && c.numClasses > 0 {
            throw no("a representation layer and a classifier", "ViTForImageClassification does not run the pooler", [.torchvision, .onnx])
        }
        if c.distilled {
            if c.layerScale || c.registerTokens > 0 || c.normPre || c.activation == .swiglu {
                throw no("a distillation token with LayerScale, registers, norm_pre or SwiGLU", "DeiT's classes have none of these")
            }
            if c.noEmbedClass { throw no("a distillation token with a position embedding over the patches only", "DeiT's position embedding covers both tokens") }
            return .deitTeacher
        }
        if c.globalPool == .map || !c.classToken {
            if c.classToken || c.registerTokens > 0 { throw no("prefix tokens with a MAP head", "SiglipVisionModel has no class or register tokens", [.timm, .onnx]) }
            if c.globalPool != .map { throw no("no class token without a MAP head", "SiglipVisionModel pools with its head") }
            if c.layerScale || c.normPre || c.activation == .swiglu || c.numClasses > 0 {
                throw no("a MAP head with LayerScale, norm_pre, SwiGLU or a classifier", "SiglipVisionModel has none of these")
            }
            if !square { throw no(ModelFeature.nonSquare.title + " in a SigLIP model", "SiglipVisionConfig takes one size") }
            return .siglip
        }
        if c.normPre {
            if c.layerScale || c.registerTokens > 0 || c.activation == .swiglu {
                throw no("norm_pre with LayerScale, registers or SwiGLU", "CLIPVisionModel has none of these")
            }
            if !square { throw no(ModelFeature.nonSquare.title + " in a CLIP model", "CLIPVisionConfig takes one size") }
            return c.numClasses > 0 ? .clipProjection : .clip
        }
        if c.layerScale || c.registerTokens > 0 || c.activation == .swiglu {
            if c.numClasses > 0 {
                throw no("a classifier on a model with LayerScale, registers or SwiGLU",
                         "Dinov2ForImageClassification's head reads the class token and the mean patch token")
            }
            if c.representationLayer { throw no("a representation layer with LayerScale, registers or SwiGLU", "Dinov2Model has no pooler layer") }
            if !square { throw no(ModelFeature.nonSquare.title + " in a DINOv2 model", "Dinov2Config takes one size") }
            if dinov2Ratio(c) == nil {
                throw no("an MLP width of \(c.mlpHiddenDim) for width \(c.embedDim)",
                         "Dinov2Config takes a whole-number mlp_ratio\(c.activation == .swiglu ? " (SwiGLU: rounded to 8 after ×2/3)" : "")")
            }
            return c.registerTokens > 0 ? .dinov2Registers : .dinov2
        }
        return c.representationLayer ? .vitModel : .vitClassification
    }

    static func config(_ c: ViTConfig, _ cls: ModelClass) -> ConfigJSON {
        let act: String
        switch c.activation {
        case .gelu, .swiglu: act = c.activation == .swiglu ? "silu" : "gelu"
        case .geluTanh: act = "gelu_pytorch_tanh"
        case .quickGelu: act = "quick_gelu"
        case .relu: act = "relu"
        }
        var kv: [(String, ConfigJSON)] = [("architectures", .array([.string(cls.rawValue)]))]
        let common: [(String, ConfigJSON)] = [
            ("hidden_size", .int(c.embedDim)),
            ("num_hidden_layers", .int(c.depth)),
            ("num_attention_heads", .int(c.numHeads)),
            ("hidden_act", .string(act)),
            ("layer_norm_eps", .double(c.layerNormEps)),
            ("num_channels", .int(c.inChannels)),
        ]
        switch cls {
        case .vitClassification, .vitModel, .deitTeacher:
            kv.append(("model_type", .string(cls == .deitTeacher ? "deit" : "vit")))
            kv += common
            kv += [("intermediate_size", .int(c.mlpHiddenDim)),
                   ("image_size", ExportPlanner.size(c.imageSize)), ("patch_size", ExportPlanner.size(c.patchSize)),
                   ("qkv_bias", .bool(c.qkvBias)), ("hidden_dropout_prob", .double(0)),
                   ("attention_probs_dropout_prob", .double(0)), ("initializer_range", .double(0.02)),
                   ("encoder_stride", .int(c.patchSize[0]))]
            if cls == .vitModel, let p = c.preLogitsDim {
                kv += [("pooler_output_size", .int(p)), ("pooler_act", .string("tanh"))]
            }
        case .dinov2, .dinov2Registers:
            kv.append(("model_type", .string(cls == .dinov2 ? "dinov2" : "dinov2_with_registers")))
            kv += common
            kv += [("mlp_ratio", .int(dinov2Ratio(c) ?? 0)), ("image_size", .int(c.imageSize[0])),
                   ("patch_size", .int(c.patchSize[0])), ("qkv_bias", .bool(c.qkvBias)),
                   ("layerscale_value", .double(1)), ("drop_path_rate", .double(0)),
                   ("use_swiglu_ffn", .bool(c.activation == .swiglu)), ("hidden_dropout_prob", .double(0)),
                   ("attention_probs_dropout_prob", .double(0)), ("initializer_range", .double(0.02)),
                   ("apply_layernorm", .bool(true)), ("reshape_hidden_states", .bool(true))]
            if cls == .dinov2Registers { kv.append(("num_register_tokens", .int(c.registerTokens))) }
            if c.activation == .swiglu { kv.removeAll { $0.0 == "hidden_act" }; kv.append(("hidden_act", .string("silu"))) }
        case .clip, .clipProjection:
            kv.append(("model_type", .string("clip_vision_model")))
            kv += common
            kv += [("intermediate_size", .int(c.mlpHiddenDim)), ("image_size", .int(c.imageSize[0])),
                   ("patch_size", .int(c.patchSize[0])), ("projection_dim", .int(c.numClasses > 0 ? c.numClasses : c.embedDim)),
                   ("attention_dropout", .double(0)), ("initializer_range", .double(0.02)), ("initializer_factor", .double(1))]
        case .siglip:
            kv.append(("model_type", .string("siglip_vision_model")))
            kv += common
            kv += [("intermediate_size", .int(c.mlpHiddenDim)), ("image_size", .int(c.imageSize[0])),
                   ("patch_size", .int(c.patchSize[0])), ("attention_dropout", .double(0)), ("vision_use_head", .bool(true))]
        }
        if cls == .vitClassification || cls == .deitTeacher {
            let labels = c.labels ?? (0..<c.numClasses).map { "LABEL_\($0)" }
            kv.append(("num_labels", .int(c.numClasses)))
            kv.append(("id2label", .object(labels.enumerated().map { (String($0.offset), .string($0.element)) })))
            kv.append(("label2id", .object(labels.enumerated().map { ($0.element, .int($0.offset)) })))
        }
        kv += [("dtype", .string("float32")), ("transformers_version", .string("5.23.0"))]
        return .object(kv)
    }

    /// `mlp_ratio` for transformers' DINOv2, which takes a whole number: hidden = D·r (SwiGLU: then
    /// (int(D·r·2/3) + 7) // 8 · 8), or nil when no whole ratio gives the model's MLP width.
    static func dinov2Ratio(_ c: ViTConfig) -> Int? {
        for r in 1...64 {
            let f = c.embedDim * r
            let hidden = c.activation == .swiglu ? (Int(Double(f) * 2 / 3) + 7) / 8 * 8 : f
            if hidden == c.mlpHiddenDim { return r }
        }
        return nil
    }

    static func preprocessor(_ c: ViTConfig, _ cls: ModelClass, mean: [Double], std: [Double], crop: Double) -> ConfigJSON {
        let (h, w) = (c.imageSize[0], c.imageSize[1])
        let type: String
        switch cls {
        case .clip, .clipProjection: type = "CLIPImageProcessor"
        case .siglip: type = "SiglipImageProcessor"
        case .dinov2, .dinov2Registers: type = "BitImageProcessor"
        case .deitTeacher: type = "DeiTImageProcessor"
        default: type = "ViTImageProcessor"
        }
        var kv: [(String, ConfigJSON)] = [("image_processor_type", .string(type)), ("do_resize", .bool(true))]
        let hw: ConfigJSON = .object([("height", .int(h)), ("width", .int(w))])
        switch cls {
        case .clip, .clipProjection, .dinov2, .dinov2Registers, .deitTeacher:
            let edge = Int((Double(min(h, w)) / crop).rounded())
            kv += [("size", cls == .deitTeacher ? .object([("height", .int(edge)), ("width", .int(edge))]) : .object([("shortest_edge", .int(edge))])),
                   ("do_center_crop", .bool(true)), ("crop_size", hw)]
        default:
            kv.append(("size", hw))
        }
        kv += [("resample", .int(3)), ("do_rescale", .bool(true)), ("rescale_factor", .double(1.0 / 255.0)),
               ("do_normalize", .bool(true)), ("image_mean", .array(mean.map(ConfigJSON.double))),
               ("image_std", .array(std.map(ConfigJSON.double)))]
        if cls == .clip || cls == .clipProjection || cls == .dinov2 || cls == .dinov2Registers {
            kv.append(("do_convert_rgb", .bool(true)))
        }
        return .object(kv)
    }
}

extension ViTConfig {
    /// A pre-logits Linear with tanh (the original ViT's representation layer, HF ViT's pooler).
    var representationLayer: Bool { preLogitsDim != nil && preLogitsActivation != .gelu }
}
