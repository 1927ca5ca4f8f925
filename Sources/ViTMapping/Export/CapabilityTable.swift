import ViTModel

/// How an export layout holds one model feature.
public enum Support: Sendable, Equatable {
    /// The layout has a setting or tensor for it.
    case native(String)
    /// The layout has no such setting, but constants make it exact (a zero bias, a zero position row, ones for
    /// LayerScale); the note says which.
    case exact(String)
    /// The layout cannot hold it.
    case no(String)

    /// True unless `.no`.
    public var isHeld: Bool { if case .no = self { return false } else { return true } }

    /// The explanation.
    public var note: String {
        switch self {
        case let .native(n), let .exact(n), let .no(n): return n
        }
    }

    /// One character for the table: `yes`, `=` (exact by constants), `no`.
    public var mark: String {
        switch self {
        case .native: return "yes"
        case .exact: return "fill"
        case .no: return "no"
        }
    }
}

/// What each export layout can hold: the one table `vit-convert --list-layouts` prints and every export checks
/// before it writes anything. Combinations a layout's model classes restrict further (e.g. LayerScale only in
/// transformers' DINOv2 classes, which have no classifier) are checked by the layout's planner and named the same way.
public enum CapabilityTable {
    /// The support of `feature` in `layout`.
    public static func support(_ feature: ModelFeature, in layout: ExportLayout) -> Support {
        switch layout {
        case .timm: return timm(feature)
        case .hf: return hf(feature)
        case .torchvision: return torchvision(feature)
        case .onnx: return .native("built into the graph")
        }
    }

    /// The layouts that hold `feature`.
    public static func holders(of feature: ModelFeature) -> [ExportLayout] {
        ExportLayout.allCases.filter { support(feature, in: $0).isHeld }
    }

    /// Throws for the first feature of `config` that `layout` cannot hold.
    /// - Throws: `ExportError.cannotExpress` naming the feature and the layouts that hold it.
    public static func check(_ config: ViTConfig, for layout: ExportLayout) throws {
        for f in ModelFeature.present(in: config) {
            let s = support(f, in: layout)
            if case let .no(why) = s {
                throw ExportError.cannotExpress(layout: layout, feature: f.title, reason: why, holders: holders(of: f))
            }
        }
    }

    static func timm(_ f: ModelFeature) -> Support {
        switch f {
        case .noClassToken: return .native("class_token=False")
        case .registers: return .native("reg_tokens")
        case .positionOverRegisters: return .native("no_embed_class=False covers every prefix token")
        case .noEmbedClass: return .native("no_embed_class=True")
        case .distillation: return .native("VisionTransformerDistilled (deit_*_distilled_*)")
        case .layerScale: return .native("init_values (ls1/ls2.gamma)")
        case .normPre: return .native("pre_norm=True")
        case .noPatchBias: return .exact("patch_embed.proj.bias written as zeros (timm has a bias unless pre_norm)")
        case .patchNorms: return .no("timm has no LayerNorm over raw patch pixels")
        case .noQkvBias: return .native("qkv_bias=False")
        case .attentionWidth: return .no("timm's Attention projects to the embedding width")
        case .geluTanh: return .native("act_layer='gelu_tanh'")
        case .quickGelu: return .native("act_layer='quick_gelu' (*_clip_quickgelu_* architectures)")
        case .swiglu: return .native("SwiGLUPacked (vit_giant_patch14_*dinov2 architectures)")
        case .relu: return .native("act_layer='relu'")
        case .meanPooling: return .native("global_pool='avg'")
        case .mapHead: return .native("global_pool='map' (attn_pool)")
        case .tokenAvgPooling: return .no("timm's VisionTransformer has no class + mean pool")
        case .mapMlpWidth: return .no("timm's attention pool uses the blocks' mlp_ratio")
        case .noFinalNorm: return .native("final_norm=False")
        case .fcNorm: return .native("fc_norm=True")
        case .representationLayer: return .no("timm's VisionTransformer has no representation layer")
        case .representationGelu: return .no("timm's VisionTransformer has no pre-logits layer")
        case .projectionHead: return .exact("head.bias written as zeros, as timm's CLIP weights have")
        case .noClassifier: return .native("num_classes=0")
        case .nonSquare: return .native("img_size and patch_size as (h, w)")
        case .channels: return .native("in_chans")
        }
    }

    static func hf(_ f: ModelFeature) -> Support {
        switch f {
        case .noClassToken: return .native("SiglipVisionModel (with a MAP head)")
        case .registers: return .native("Dinov2WithRegistersModel")
        case .positionOverRegisters: return .no("transformers' register models add no position to registers")
        case .noEmbedClass: return .exact("a zero position row is added for the class token")
        case .distillation: return .native("DeiTForImageClassificationWithTeacher")
        case .layerScale: return .native("Dinov2Model / Dinov2WithRegistersModel (layer_scale*.lambda1)")
        case .normPre: return .native("CLIPVisionModel[WithProjection] (pre_layrnorm)")
        case .noPatchBias: return .exact("a zero patch bias (ViT, DINOv2, SigLIP); CLIP has none")
        case .patchNorms: return .no("no transformers ViT class normalises raw patches")
        case .noQkvBias: return .exact("qkv_bias=False (ViT, DeiT, DINOv2); zero q/k/v biases (CLIP, SigLIP)")
        case .attentionWidth: return .no("transformers' ViT attention projects to hidden_size")
        case .geluTanh: return .native("hidden_act='gelu_pytorch_tanh'")
        case .quickGelu: return .native("hidden_act='quick_gelu'")
        case .swiglu: return .native("Dinov2Model use_swiglu_ffn=True")
        case .relu: return .native("hidden_act='relu'")
        case .meanPooling: return .no("transformers' ViT classes pool the class token")
        case .mapHead: return .native("SiglipVisionModel (head.*)")
        case .tokenAvgPooling: return .no("Dinov2ForImageClassification holds it, but ViTKit does not write that class yet")
        case .mapMlpWidth: return .no("SiglipVisionModel's head MLP has the blocks' intermediate_size")
        case .noFinalNorm: return .no("every transformers ViT class has a final layernorm")
        case .fcNorm: return .no("transformers' ViT classes have no norm after pooling")
        case .representationLayer: return .native("ViTModel pooler (dense + tanh), without a classifier")
        case .representationGelu: return .no("ViTModel's pooler uses tanh")
        case .projectionHead: return .native("CLIPVisionModelWithProjection (visual_projection)")
        case .noClassifier: return .native("ViTModel, Dinov2Model, CLIPVisionModel, SiglipVisionModel")
        case .nonSquare: return .native("image_size and patch_size as [h, w] (ViT, DeiT only)")
        case .channels: return .native("num_channels")
        }
    }

    static func torchvision(_ f: ModelFeature) -> Support {
        switch f {
        case .noClassToken: return .no("torchvision's VisionTransformer always has class_token")
        case .registers, .positionOverRegisters: return .no("torchvision's VisionTransformer has no register tokens")
        case .noEmbedClass: return .exact("a zero position row is added for the class token")
        case .distillation: return .no("torchvision has no distillation token")
        case .layerScale: return .no("torchvision's EncoderBlock has no LayerScale")
        case .normPre: return .no("torchvision's Encoder has no norm before the blocks")
        case .noPatchBias: return .exact("conv_proj.bias written as zeros")
        case .patchNorms: return .no("torchvision's conv_proj has no norms")
        case .noQkvBias: return .exact("in_proj_bias written as zeros")
        case .attentionWidth: return .no("nn.MultiheadAttention projects to hidden_dim")
        case .geluTanh, .quickGelu, .swiglu, .relu: return .no("torchvision's MLPBlock uses exact GELU")
        case .meanPooling, .mapHead, .mapMlpWidth, .tokenAvgPooling: return .no("torchvision pools the class token")
        case .noFinalNorm: return .no("torchvision's Encoder always ends with encoder.ln")
        case .fcNorm: return .no("torchvision has no norm after pooling")
        case .representationLayer: return .native("representation_size (heads.pre_logits + tanh)")
        case .representationGelu: return .no("torchvision's pre_logits uses tanh")
        case .projectionHead: return .exact("heads.head.bias written as zeros")
        case .noClassifier: return .no("torchvision's heads always end in a Linear classifier")
        case .nonSquare: return .no("torchvision takes one image_size and patch_size")
        case .channels: return .no("torchvision's conv_proj takes 3 channels")
        }
    }

    /// The table as text: one row per feature, one column per layout (`yes`, `fill` = exact through constants,
    /// `no`), then each layout's notes.
    public static func text() -> String {
        let layouts = ExportLayout.allCases
        let w = ModelFeature.allCases.map(\.rawValue.count).max() ?? 10
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        var lines = [pad("feature", w) + "  " + layouts.map { pad($0.rawValue, 12) }.joined()]
        for f in ModelFeature.allCases {
            lines.append(pad(f.rawValue, w) + "  " + layouts.map { pad(support(f, in: $0).mark, 12) }.joined())
        }
        lines.append("")
        lines.append("yes: the layout has it; fill: exact through constants (zero biases, a zero position row); no: refused.")
        for l in layouts where l != .onnx {
            lines.append("")
            lines.append("\(l.rawValue) (\(l.library)):")
            for f in ModelFeature.allCases {
                lines.append("  \(pad(f.rawValue, w))  \(support(f, in: l).mark): \(support(f, in: l).note)")
            }
        }
        lines.append("")
        lines.append("onnx: every feature is built into the graph.")
        return lines.joined(separator: "\n")
    }
}
