import Foundation

/// Everything needed to build and run a Vision Transformer, independent of any file format.
///
/// Codable with snake_case keys (the form embedded in ViTKit's outputs). Call `validate()` after
/// building one from untrusted data.
public struct ViTConfig: Codable, Equatable, Sendable {
    /// How the pooled feature is taken from the final tokens.
    public enum GlobalPool: String, Codable, Sendable, CaseIterable {
        /// The class token (token 0).
        case token
        /// The mean of the patch tokens (prefix tokens excluded, as timm does).
        case avg
        /// Multihead attention pooling (timm `attn_pool`, SigLIP's MAP head): a learned latent query attends to
        /// the final-normed patch tokens, then a residual MLP; the latent's output is the pooled feature.
        case map
        /// The class token and the mean of the patch tokens (registers excluded), both after the final norm,
        /// concatenated: a 2·D feature (HF `Dinov2ForImageClassification`, DINOv2's linear probes).
        case tokenAvg = "token_avg"
    }

    /// The activation inside every MLP (families.md 0.3; all differ measurably).
    public enum Activation: String, Codable, Sendable, CaseIterable {
        /// Exact GELU, ½x(1 + erf(x/√2)): timm, DINOv2, MAE, DeiT, HF ViT, open_clip without QuickGELU.
        case gelu
        /// GELU with the tanh approximation (HF `gelu_pytorch_tanh`, big_vision SigLIP).
        case geluTanh = "gelu_tanh"
        /// x·σ(1.702x): OpenAI CLIP, HF CLIP `quick_gelu`, open_clip `*-quickgelu`.
        case quickGelu = "quick_gelu"
        /// SwiGLU on a packed fc1 (2H, D): SiLU(first half) · second half, then fc2 (D, H) (DINOv2 ViT-g `w12`/`w3`,
        /// timm `SwiGLUPacked`).
        case swiglu
        /// ReLU, max(x, 0): hand-written models (`nn.ReLU`, `F.relu`).
        case relu
    }

    /// How the position embedding is interpolated when the model runs at another grid than its checkpoint's,
    /// as the source library does it at run time (families.md 0.2).
    public enum PosEmbedRule: String, Codable, Sendable, CaseIterable {
        /// Bicubic to the new size with antialias (timm `resample_abs_pos_embed`; HF `Dinov2WithRegisters`;
        /// original DINOv2 with registers).
        case bicubicAntialias = "bicubic_antialias"
        /// Bicubic to the new size without antialias (HF `interpolate_pos_encoding`: ViT, DeiT, CLIP, SigLIP,
        /// ViTMAE, Dinov2).
        case bicubic
        /// Original DINOv2 without registers: bicubic, no antialias, `scale_factor=((h+0.1)/M, (w+0.1)/M)`.
        case dinov2Offset = "dinov2_offset"
        /// Bilinear without antialias (timm `_load_weights` for JAX `.npz`, big_vision).
        case bilinear
    }

    /// The layout the patch embedding came from. Weights are always stored as a conv kernel
    /// (D, C, P, P); `linear` records that the source was a Linear over (row, col, channel) patches.
    public enum PatchEmbedKind: String, Codable, Sendable {
        case conv
        case linear
    }

    /// The activation after the pre-logits Linear.
    public enum PreLogitsActivation: String, Codable, Sendable {
        /// The original ViT's representation layer (Linear + tanh).
        case tanh
        /// Linear + exact GELU, as common hand-written heads use.
        case gelu
    }

    /// Image height and width in pixels.
    public var imageSize: [Int]
    /// Patch height and width in pixels.
    public var patchSize: [Int]
    /// Input channels (3 for RGB).
    public var inChannels: Int
    /// Embedding (residual stream) width D.
    public var embedDim: Int
    /// Number of transformer blocks.
    public var depth: Int
    /// Attention heads.
    public var numHeads: Int
    /// Attention width = heads × head dim (equals `embedDim` in most models).
    public var attnDim: Int
    /// MLP hidden width.
    public var mlpHiddenDim: Int
    /// Whether the fused qkv projection has a bias.
    public var qkvBias: Bool
    /// Whether a class token is prepended.
    public var classToken: Bool
    /// Number of register tokens (after the class/distillation tokens).
    public var registerTokens: Int
    /// timm `no_embed_class`: pos_embed covers only the patches; prefix tokens get none.
    public var noEmbedClass: Bool
    /// Pooling of the final tokens.
    public var globalPool: GlobalPool
    /// A LayerNorm (`norm`) on all tokens after the last block.
    public var finalNorm: Bool
    /// A LayerNorm (`fc_norm`) on the pooled feature.
    public var fcNorm: Bool
    /// A LayerNorm (`norm_pre`) after adding position embeddings (CLIP style).
    public var normPre: Bool
    /// LayerScale (`ls1.gamma`, `ls2.gamma`) in every block.
    public var layerScale: Bool
    /// Width of the pre-logits Linear, or nil when there is none.
    public var preLogitsDim: Int?
    /// Activation after the pre-logits Linear.
    public var preLogitsActivation: PreLogitsActivation?
    /// DeiT distillation token and second head; inference output is the mean of both heads.
    public var distilled: Bool
    /// The source layout of the patch embedding.
    public var patchEmbed: PatchEmbedKind
    /// Whether the patch embedding has a bias.
    public var patchBias: Bool
    /// LayerNorm over the raw flattened patch pixels before the patch projection (vit-pytorch).
    public var patchNormPre: Bool
    /// LayerNorm after the patch projection (vit-pytorch; timm `patch_embed.norm`).
    public var patchNormPost: Bool
    /// Epsilon of every LayerNorm.
    public var layerNormEps: Double
    /// Output classes; 0 means the model returns pooled features.
    public var numClasses: Int
    /// Optional class names, index = class id.
    public var labels: [String]?
    /// The MLP activation.
    public var activation: Activation
    /// Whether the head (classifier or projection) has a bias (CLIP's projection has none).
    public var headBias: Bool
    /// Register tokens are inserted after the position embedding is added, which covers the class (and
    /// distillation) token but no register (original DINOv2 with registers, HF `Dinov2WithRegisters`):
    /// `x = [cls, patches] + pos; x = [x0, regs, x1…]`.
    public var registersAfterPosEmbed: Bool
    /// Width of the attention-pool MLP (`attn_pool.mlp.fc1`), when `globalPool == .map`.
    public var poolMlpHiddenDim: Int?
    /// How the position embedding is interpolated at run time for another grid.
    public var posEmbedRule: PosEmbedRule
    /// The model family and source library, for people (e.g. "DINOv2 (facebookresearch)"); nil when unknown.
    public var family: String?

    enum CodingKeys: String, CodingKey {
        case imageSize = "image_size", patchSize = "patch_size", inChannels = "in_channels"
        case embedDim = "embed_dim", depth, numHeads = "num_heads", attnDim = "attn_dim"
        case mlpHiddenDim = "mlp_hidden_dim", qkvBias = "qkv_bias", classToken = "class_token"
        case registerTokens = "register_tokens", noEmbedClass = "no_embed_class", globalPool = "global_pool"
        case finalNorm = "final_norm", fcNorm = "fc_norm", normPre = "norm_pre", layerScale = "layer_scale"
        case preLogitsDim = "pre_logits_dim", preLogitsActivation = "pre_logits_activation"
        case distilled, patchEmbed = "patch_embed", patchBias = "patch_bias"
        case patchNormPre = "patch_norm_pre", patchNormPost = "patch_norm_post"
        case layerNormEps = "layer_norm_eps", numClasses = "num_classes", labels
        case activation, headBias = "head_bias", registersAfterPosEmbed = "registers_after_pos_embed"
        case poolMlpHiddenDim = "pool_mlp_hidden_dim", posEmbedRule = "pos_embed_rule", family
    }

    /// A config with timm `VisionTransformer` defaults for the given sizes.
    public init(imageSize: [Int] = [224, 224], patchSize: [Int] = [16, 16], inChannels: Int = 3,
                embedDim: Int, depth: Int, numHeads: Int, attnDim: Int? = nil, mlpHiddenDim: Int? = nil,
                qkvBias: Bool = true, classToken: Bool = true, registerTokens: Int = 0,
                noEmbedClass: Bool = false, globalPool: GlobalPool = .token, finalNorm: Bool = true,
                fcNorm: Bool = false, normPre: Bool = false, layerScale: Bool = false,
                preLogitsDim: Int? = nil, preLogitsActivation: PreLogitsActivation? = nil,
                distilled: Bool = false, patchEmbed: PatchEmbedKind = .conv, patchBias: Bool = true,
                patchNormPre: Bool = false, patchNormPost: Bool = false, layerNormEps: Double = 1e-6,
                numClasses: Int = 1000, labels: [String]? = nil, activation: Activation = .gelu,
                headBias: Bool = true, registersAfterPosEmbed: Bool = false, poolMlpHiddenDim: Int? = nil,
                posEmbedRule: PosEmbedRule = .bicubicAntialias, family: String? = nil) {
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.inChannels = inChannels
        self.embedDim = embedDim
        self.depth = depth
        self.numHeads = numHeads
        self.attnDim = attnDim ?? embedDim
        self.mlpHiddenDim = mlpHiddenDim ?? 4 * embedDim
        self.qkvBias = qkvBias
        self.classToken = classToken
        self.registerTokens = registerTokens
        self.noEmbedClass = noEmbedClass
        self.globalPool = globalPool
        self.finalNorm = finalNorm
        self.fcNorm = fcNorm
        self.normPre = normPre
        self.layerScale = layerScale
        self.preLogitsDim = preLogitsDim
        self.preLogitsActivation = preLogitsDim == nil ? nil : (preLogitsActivation ?? .tanh)
        self.distilled = distilled
        self.patchEmbed = patchEmbed
        self.patchBias = patchBias
        self.patchNormPre = patchNormPre
        self.patchNormPost = patchNormPost
        self.layerNormEps = layerNormEps
        self.numClasses = numClasses
        self.labels = labels
        self.activation = activation
        self.headBias = headBias
        self.registersAfterPosEmbed = registersAfterPosEmbed
        self.poolMlpHiddenDim = globalPool == .map ? (poolMlpHiddenDim ?? self.mlpHiddenDim) : nil
        self.posEmbedRule = posEmbedRule
        self.family = family
    }

    /// Decodes a config; the keys added for the model families (activation, head bias, register arrangement,
    /// pool MLP, position-embedding rule, family) take their plain-ViT defaults when absent, so files written
    /// before them still load.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func v<T: Decodable>(_ k: CodingKeys) throws -> T { try c.decode(T.self, forKey: k) }
        imageSize = try v(.imageSize); patchSize = try v(.patchSize); inChannels = try v(.inChannels)
        embedDim = try v(.embedDim); depth = try v(.depth); numHeads = try v(.numHeads); attnDim = try v(.attnDim)
        mlpHiddenDim = try v(.mlpHiddenDim); qkvBias = try v(.qkvBias); classToken = try v(.classToken)
        registerTokens = try v(.registerTokens); noEmbedClass = try v(.noEmbedClass); globalPool = try v(.globalPool)
        finalNorm = try v(.finalNorm); fcNorm = try v(.fcNorm); normPre = try v(.normPre); layerScale = try v(.layerScale)
        preLogitsDim = try c.decodeIfPresent(Int.self, forKey: .preLogitsDim)
        preLogitsActivation = try c.decodeIfPresent(PreLogitsActivation.self, forKey: .preLogitsActivation)
        distilled = try v(.distilled); patchEmbed = try v(.patchEmbed); patchBias = try v(.patchBias)
        patchNormPre = try v(.patchNormPre); patchNormPost = try v(.patchNormPost); layerNormEps = try v(.layerNormEps)
        numClasses = try v(.numClasses); labels = try c.decodeIfPresent([String].self, forKey: .labels)
        activation = try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .gelu
        headBias = try c.decodeIfPresent(Bool.self, forKey: .headBias) ?? true
        registersAfterPosEmbed = try c.decodeIfPresent(Bool.self, forKey: .registersAfterPosEmbed) ?? false
        poolMlpHiddenDim = try c.decodeIfPresent(Int.self, forKey: .poolMlpHiddenDim)
        posEmbedRule = try c.decodeIfPresent(PosEmbedRule.self, forKey: .posEmbedRule) ?? .bicubicAntialias
        family = try c.decodeIfPresent(String.self, forKey: .family)
    }

    // MARK: derived sizes

    /// Patch grid (rows, columns).
    public var gridSize: [Int] { [imageSize[0] / patchSize[0], imageSize[1] / patchSize[1]] }
    /// Number of patch tokens.
    public var numPatches: Int { gridSize[0] * gridSize[1] }
    /// Class + distillation + register tokens.
    public var numPrefixTokens: Int { (classToken ? 1 : 0) + (distilled ? 1 : 0) + registerTokens }
    /// Tokens that pass through the blocks.
    public var sequenceLength: Int { numPrefixTokens + numPatches }
    /// Rows of pos_embed.
    public var posEmbedTokens: Int {
        if noEmbedClass { return numPatches }
        return numPatches + numPrefixTokens - (registersAfterPosEmbed ? registerTokens : 0)
    }
    /// Output rows of `mlp.fc1`: the hidden width, twice it for SwiGLU (gate and value packed).
    public var fc1OutDim: Int { activation == .swiglu ? 2 * mlpHiddenDim : mlpHiddenDim }
    /// Per-head width.
    public var headDim: Int { attnDim / max(numHeads, 1) }
    /// Width of the vector the head sees.
    public var featureDim: Int { preLogitsDim ?? (globalPool == .tokenAvg ? 2 * embedDim : embedDim) }
    /// Length of one flattened patch (C × P × P).
    public var patchVectorLength: Int { inChannels * patchSize[0] * patchSize[1] }

    /// Checks that the sizes are positive and consistent.
    /// - Throws: `ViTConfigError` naming the first inconsistency.
    public func validate() throws {
        func positive(_ name: String, _ v: Int) throws {
            guard v > 0 else { throw ViTConfigError.notPositive(field: name, value: v) }
        }
        guard imageSize.count == 2 else { throw ViTConfigError.badPair(field: "image_size", count: imageSize.count) }
        guard patchSize.count == 2 else { throw ViTConfigError.badPair(field: "patch_size", count: patchSize.count) }
        try positive("image_size[0]", imageSize[0]); try positive("image_size[1]", imageSize[1])
        try positive("patch_size[0]", patchSize[0]); try positive("patch_size[1]", patchSize[1])
        try positive("in_channels", inChannels); try positive("embed_dim", embedDim)
        try positive("depth", depth); try positive("num_heads", numHeads)
        try positive("attn_dim", attnDim); try positive("mlp_hidden_dim", mlpHiddenDim)
        guard numClasses >= 0 else { throw ViTConfigError.notPositive(field: "num_classes", value: numClasses) }
        guard registerTokens >= 0 else { throw ViTConfigError.notPositive(field: "register_tokens", value: registerTokens) }
        if let p = preLogitsDim { try positive("pre_logits_dim", p) }
        guard attnDim % numHeads == 0 else { throw ViTConfigError.headsDoNotDivide(attnDim: attnDim, heads: numHeads) }
        for i in 0..<2 where imageSize[i] % patchSize[i] != 0 {
            throw ViTConfigError.patchesDoNotTile(imageSize: imageSize, patchSize: patchSize)
        }
        if (globalPool == .token || globalPool == .tokenAvg) && !classToken { throw ViTConfigError.tokenPoolWithoutClassToken }
        if globalPool == .tokenAvg && (fcNorm || preLogitsDim != nil || distilled || !finalNorm) {
            throw ViTConfigError.tokenAvgPoolUnsupported
        }
        if registersAfterPosEmbed && (noEmbedClass || registerTokens == 0 || !classToken) {
            throw ViTConfigError.registerArrangement
        }
        if globalPool == .map {
            guard let p = poolMlpHiddenDim, p > 0 else { throw ViTConfigError.notPositive(field: "pool_mlp_hidden_dim", value: poolMlpHiddenDim ?? 0) }
            if activation == .swiglu || distilled { throw ViTConfigError.mapPoolUnsupported }
        }
        if distilled && !classToken { throw ViTConfigError.distilledWithoutClassToken }
        guard layerNormEps > 0, layerNormEps.isFinite else { throw ViTConfigError.badEpsilon(layerNormEps) }
        if let labels, numClasses > 0, labels.count != numClasses {
            throw ViTConfigError.labelCount(expected: numClasses, found: labels.count)
        }
    }

    /// JSON text of this config (sorted keys, snake_case).
    public func jsonString(pretty: Bool = false) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        // Encoding plain values cannot fail.
        return (try? String(decoding: enc.encode(self), as: UTF8.self)) ?? "{}"
    }

    /// Decodes a config from ViTKit's JSON form and validates it.
    /// - Throws: `DecodingError` for malformed JSON, `ViTConfigError` for inconsistent values.
    public static func fromJSON(_ text: String) throws -> ViTConfig {
        let c = try JSONDecoder().decode(ViTConfig.self, from: Data(text.utf8))
        try c.validate()
        return c
    }
}

/// A `ViTConfig` whose values are missing or inconsistent.
public enum ViTConfigError: Error, Equatable, CustomStringConvertible, Sendable {
    case notPositive(field: String, value: Int)
    case badPair(field: String, count: Int)
    case headsDoNotDivide(attnDim: Int, heads: Int)
    case patchesDoNotTile(imageSize: [Int], patchSize: [Int])
    case tokenPoolWithoutClassToken
    case distilledWithoutClassToken
    case badEpsilon(Double)
    case labelCount(expected: Int, found: Int)
    case registerArrangement
    case mapPoolUnsupported
    case tokenAvgPoolUnsupported

    public var description: String {
        switch self {
        case let .notPositive(f, v): return "config: \(f) must be positive, found \(v)"
        case let .badPair(f, c): return "config: \(f) must be [height, width], found \(c) values"
        case let .headsDoNotDivide(a, h): return "config: \(h) heads do not divide the attention width \(a)"
        case let .patchesDoNotTile(i, p):
            return "config: patches \(p[0])x\(p[1]) do not tile the image \(i[0])x\(i[1])"
        case .tokenPoolWithoutClassToken: return "config: global_pool 'token' needs a class token"
        case .distilledWithoutClassToken: return "config: a distilled model needs a class token"
        case let .badEpsilon(e): return "config: layer_norm_eps must be a positive number, found \(e)"
        case let .labelCount(e, f): return "config: \(e) classes but \(f) labels"
        case .registerArrangement:
            return "config: registers_after_pos_embed needs a class token, register tokens and a position embedding that covers the class token (no_embed_class false)"
        case .tokenAvgPoolUnsupported:
            return "config: token_avg pooling (class token and patch mean) is supported after a final norm, without fc_norm, pre-logits or a distillation token"
        case .mapPoolUnsupported:
            return "config: attention pooling (map) is supported with a plain MLP and without a distillation token"
        }
    }
}
