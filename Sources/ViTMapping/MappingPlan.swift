import ViTModel
import ViTTensor

/// Choices the user can make about a mapping; every field is optional information the weights may lack.
public struct MappingOptions: Sendable, Equatable {
    /// Force a convention instead of detecting it from the names.
    public var convention: Convention?
    /// Attention heads, when no metadata or weight records them.
    public var heads: Int?
    /// Image (height, width), when no metadata records it and the patch grid is not square.
    public var imageSize: [Int]?
    /// Input channels for a Linear patch embedding (default: 3 when the patch length allows it).
    public var inChannels: Int?
    /// LayerNorm epsilon, overriding metadata and the convention's default.
    public var layerNormEps: Double?
    /// Drop source tensors that have no canonical place (e.g. the HF pooler) instead of failing.
    public var allowUnused: Bool
    /// The flattening order of a Linear patch embedding read by structure (default: (C, p, p), or (p, p, C) for
    /// einops-style names), which the weights cannot show.
    public var patchOrder: PatchOrder?
    /// A mapping file for what the structure cannot place (`--map`).
    public var mapFile: MapFile?
    /// The mapping file's path, for messages.
    public var mapFileName: String?
    /// The activation after a hidden-layer classifier's first Linear (pre-logits), which the weights cannot show.
    public var preLogitsActivation: ViTConfig.PreLogitsActivation?
    /// The MLP activation, overriding metadata and the convention's default (e.g. GELU for a LAION-trained
    /// open_clip model in the OpenAI layout, QuickGELU for a timm `*_clip_quickgelu_*` safetensors).
    public var activation: ViTConfig.Activation?
    /// The run-time position-embedding interpolation rule, overriding the one the source library implies or the
    /// file records (`--interpolate`); recorded in converted files.
    public var posEmbedRule: ViTConfig.PosEmbedRule?

    /// - Parameters:
    ///   - convention: force a convention (nil: detect).
    ///   - heads: attention heads when not recorded.
    ///   - imageSize: (height, width) when not recorded.
    ///   - inChannels: channels for a Linear patch embedding.
    ///   - layerNormEps: LayerNorm epsilon override.
    ///   - allowUnused: drop tensors without a canonical place.
    public init(convention: Convention? = nil, heads: Int? = nil, imageSize: [Int]? = nil, inChannels: Int? = nil,
                layerNormEps: Double? = nil, allowUnused: Bool = false) {
        self.convention = convention
        self.heads = heads
        self.imageSize = imageSize
        self.inChannels = inChannels
        self.layerNormEps = layerNormEps
        self.allowUnused = allowUnused
    }
}

/// One canonical tensor of the plan: where it comes from and how it is built.
public struct PlannedTensor: Sendable, Equatable {
    /// The canonical (timm) name.
    public let canonicalName: String
    /// The canonical shape.
    public let shape: [Int]
    /// The output dtype: as stored, or the widest of the sources when they differ.
    public let dtype: DType
    /// The source tensors, in the order the transform takes them.
    public let sourceInfos: [TensorInfo]
    /// The structural step from the sources to the canonical tensor.
    public let transform: TensorTransform

    /// The source tensor names.
    public var sources: [String] { sourceInfos.map(\.name) }
    /// Bytes of the canonical tensor.
    public var byteCount: Int { Shape.byteCount(shape, dtype: dtype) ?? 0 }
}

/// How a checkpoint becomes the canonical layout, made from headers only.
public struct MappingPlan: Sendable, Equatable {
    /// The checkpoint's path.
    public let file: String
    /// Every canonical tensor, in timm `state_dict()` order.
    public let entries: [PlannedTensor]
    /// Source tensors no entry uses (empty unless `allowUnused` was given), in checkpoint order.
    public let unused: [String]

    /// The entry for a canonical name.
    public func entry(named name: String) -> PlannedTensor? { entries.first { $0.canonicalName == name } }
    /// The largest canonical tensor in bytes (the peak a streaming conversion needs beyond its sources).
    public var largestEntryBytes: Int { entries.map(\.byteCount).max() ?? 0 }
}

/// What was inferred, from where, and what had to be assumed.
public struct InferenceReport: Sendable, Equatable {
    /// Where the number of attention heads came from.
    public enum HeadsSource: Sendable, Equatable, CustomStringConvertible {
        /// A metadata or config key.
        case metadata(key: String)
        /// A weight whose shape has a heads axis (JAX/Keras per-head kernels).
        case weights(tensor: String)
        /// The `heads` option.
        case userFlag
        /// Nothing recorded it: head dim 64 was assumed.
        case assumedHeadDim64

        public var description: String {
            switch self {
            case let .metadata(k): return "metadata \(k)"
            case let .weights(t): return "the shape of \(t)"
            case .userFlag: return "--heads"
            case .assumedHeadDim64: return "assumed head dim 64"
            }
        }
    }

    /// The convention used.
    public let convention: Convention
    /// The table variant (e.g. `vit-pytorch 1.x`).
    public let dialect: String
    /// True when the convention was detected, false when forced.
    public let detected: Bool
    /// Where the heads came from.
    public let headsSource: HeadsSource
    /// The metadata key the whole config was read from (ViTKit's own outputs), if any.
    public let configSource: String?
    /// Everything assumed or worth knowing, one sentence each.
    public let notes: [String]
}

/// A planned mapping: the config, the plan, and the report.
public struct MappingResult: Sendable, Equatable {
    /// The inferred (or embedded) config.
    public let config: ViTConfig
    /// The canonical tensors and their sources.
    public let plan: MappingPlan
    /// What was inferred from where.
    public let report: InferenceReport
}

/// A checkpoint fully loaded into the canonical layout.
public struct CanonicalCheckpoint: Sendable {
    /// The config.
    public let config: ViTConfig
    /// Canonical name → tensor (stored dtype kept).
    public let tensors: [String: Tensor]
    /// The canonical names in timm order.
    public let order: [String]
    /// The convention the checkpoint was in.
    public let convention: Convention
    /// What was inferred from where.
    public let report: InferenceReport
}
