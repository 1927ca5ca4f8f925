import ViTModel

/// A property of a model that some export layouts cannot hold. Each is read off the canonical config alone.
public enum ModelFeature: String, CaseIterable, Sendable {
    case noClassToken = "no-class-token"
    case registers
    case positionOverRegisters = "pos-embed-over-registers"
    case noEmbedClass = "no-embed-class"
    case distillation
    case layerScale = "layer-scale"
    case normPre = "norm-pre"
    case noPatchBias = "no-patch-bias"
    case patchNorms = "patch-norms"
    case noQkvBias = "no-qkv-bias"
    case attentionWidth = "attention-width"
    case geluTanh = "gelu-tanh"
    case quickGelu = "quick-gelu"
    case swiglu
    case relu
    case meanPooling = "mean-pooling"
    case mapHead = "map-head"
    case tokenAvgPooling = "token-avg-pooling"
    case mapMlpWidth = "map-mlp-width"
    case noFinalNorm = "no-final-norm"
    case fcNorm = "fc-norm"
    case representationLayer = "representation-layer"
    case representationGelu = "representation-gelu"
    case projectionHead = "projection-head"
    case noClassifier = "no-classifier"
    case nonSquare = "non-square"
    case channels

    /// What the feature is, for messages and the capability table.
    public var title: String {
        switch self {
        case .noClassToken: return "no class token"
        case .registers: return "register tokens"
        case .positionOverRegisters: return "a position embedding over register tokens"
        case .noEmbedClass: return "a position embedding over the patches only, with a class token (no_embed_class)"
        case .distillation: return "a distillation token and head (DeiT)"
        case .layerScale: return "LayerScale"
        case .normPre: return "a norm before the blocks (norm_pre, CLIP ln_pre)"
        case .noPatchBias: return "a patch embedding without bias"
        case .patchNorms: return "LayerNorms around the patch projection (vit-pytorch)"
        case .noQkvBias: return "attention without qkv bias"
        case .attentionWidth: return "an attention width other than the embedding width"
        case .geluTanh: return "GELU, tanh approximation"
        case .quickGelu: return "QuickGELU"
        case .swiglu: return "a SwiGLU MLP"
        case .relu: return "a ReLU MLP"
        case .meanPooling: return "mean pooling (global_pool avg)"
        case .mapHead: return "an attention-pool (MAP) head"
        case .tokenAvgPooling: return "class token and mean patch token pooled together (DINOv2's classifier, token_avg)"
        case .mapMlpWidth: return "an attention-pool MLP of another width than the blocks'"
        case .noFinalNorm: return "no final norm"
        case .fcNorm: return "a norm on the pooled feature (fc_norm)"
        case .representationLayer: return "a representation layer (pre_logits Linear + tanh)"
        case .representationGelu: return "a pre-logits Linear + GELU"
        case .projectionHead: return "a projection head without bias (CLIP)"
        case .noClassifier: return "no classifier (the output is the pooled feature)"
        case .nonSquare: return "a non-square image or patch"
        case .channels: return "an input with other than 3 channels"
        }
    }

    /// Whether `config` has this feature.
    public func isPresent(in c: ViTConfig) -> Bool {
        switch self {
        case .noClassToken: return !c.classToken
        case .registers: return c.registerTokens > 0
        case .positionOverRegisters: return c.registerTokens > 0 && !c.noEmbedClass && !c.registersAfterPosEmbed
        case .noEmbedClass: return c.noEmbedClass && c.classToken
        case .distillation: return c.distilled
        case .layerScale: return c.layerScale
        case .normPre: return c.normPre
        case .noPatchBias: return !c.patchBias
        case .patchNorms: return c.patchNormPre || c.patchNormPost
        case .noQkvBias: return !c.qkvBias
        case .attentionWidth: return c.attnDim != c.embedDim
        case .geluTanh: return c.activation == .geluTanh
        case .quickGelu: return c.activation == .quickGelu
        case .swiglu: return c.activation == .swiglu
        case .relu: return c.activation == .relu
        case .meanPooling: return c.globalPool == .avg
        case .mapHead: return c.globalPool == .map
        case .tokenAvgPooling: return c.globalPool == .tokenAvg
        case .mapMlpWidth: return c.globalPool == .map && c.poolMlpHiddenDim != c.mlpHiddenDim
        case .noFinalNorm: return !c.finalNorm
        case .fcNorm: return c.fcNorm
        case .representationLayer: return c.preLogitsDim != nil && c.preLogitsActivation != .gelu
        case .representationGelu: return c.preLogitsDim != nil && c.preLogitsActivation == .gelu
        case .projectionHead: return c.numClasses > 0 && !c.headBias
        case .noClassifier: return c.numClasses == 0
        case .nonSquare: return c.imageSize[0] != c.imageSize[1] || c.patchSize[0] != c.patchSize[1]
        case .channels: return c.inChannels != 3
        }
    }

    /// The features `config` has, in table order.
    public static func present(in config: ViTConfig) -> [ModelFeature] {
        allCases.filter { $0.isPresent(in: config) }
    }
}
