import Foundation
import ViTTensor

/// What torchinfo 1.8 would print for the timm form of the model, kept for comparison only.
public struct TorchinfoFigures: Codable, Equatable, Sendable {
    /// torchinfo's "Total mult-adds": `batch × parameters` for every leaf layer except the patch
    /// convolution (`parameters × batch × grid`), ignoring the sequence length entirely.
    public let multAdds: Int
    /// torchinfo's "Params size" in bytes: leaves out the tensors the root module holds itself
    /// (class/register/distillation tokens and `pos_embed`).
    public let paramsBytes: Int

    enum CodingKeys: String, CodingKey {
        case multAdds = "mult_adds", paramsBytes = "params_bytes"
    }
}

/// A torchinfo-style description of a Vision Transformer computed from its config alone: layer rows,
/// parameter and memory totals, and fvcore-exact compute counts.
///
/// Everything is a closed form of the config (no weights, no forward pass). The rows and the memory
/// totals follow torchinfo 1.8 on timm 1.0.31's `VisionTransformer`; `macs` and `activations` equal
/// fvcore 0.1.5's counts for timm with explicit attention (`timm.layers.set_fused_attn(False)`), and
/// `macsWithoutAttention` its count with timm's default fused attention. See docs/summary.md.
public struct ViTSummary: Codable, Equatable, Sendable {
    /// The model's config (as stored: `pos_embed` follows its `imageSize`); `labels` are dropped.
    public let config: ViTConfig
    /// Images per forward pass.
    public let batch: Int
    /// Height and width the model is run at (the config's unless another size was asked for).
    public let imageSize: [Int]
    /// The input tensor shape (batch, channels, height, width).
    public let inputShape: [Int]
    /// Tokens through the blocks at `imageSize` (prefix tokens + patches).
    public let sequenceLength: Int
    /// The element type the parameters are stored in (sets `paramsBytes`).
    public let parameterDType: DType
    /// One row per module, in execution order.
    public let layers: [SummaryLayer]
    /// Every parameter (equals `config.parameterCount`).
    public let totalParams: Int
    /// Trainable parameters (all of them).
    public let trainableParams: Int
    /// Non-trainable parameters (none: a ViT has no buffers counted as parameters).
    public let nonTrainableParams: Int
    /// Bytes of all parameters in `parameterDType` (torchinfo's figure leaves out the root's tensors).
    public let paramsBytes: Int
    /// Bytes of the float32 input tensor.
    public let inputBytes: Int
    /// torchinfo's forward/backward estimate: 2 × float32 output bytes of every leaf layer that has
    /// parameters.
    public let forwardBackwardBytes: Int
    /// `inputBytes + forwardBackwardBytes + paramsBytes`.
    public let estimatedTotalBytes: Int
    /// Multiply-accumulates of every convolution, Linear and matmul (attention's `QKᵀ` and `AV`
    /// included) plus LayerNorm at 5 per element: fvcore's total with explicit attention.
    public let macs: Int
    /// `macs` without the two attention matmuls: fvcore's total for timm's default fused attention.
    public let macsWithoutAttention: Int
    /// `macs` split by operator, as fvcore's `by_operator()` splits it.
    public let macBreakdown: MACBreakdown
    /// Output elements of every convolution, Linear and matmul: fvcore's `ActivationCountAnalysis`
    /// total with explicit attention.
    public let activations: Int
    /// `activations` without the attention matmuls' outputs (fvcore's count with fused attention).
    public let activationsWithoutAttention: Int
    /// torchinfo's own (misleading) figures, for comparison.
    public let torchinfo: TorchinfoFigures

    /// Computes the summary of `config` run on `batch` images.
    /// - Parameters:
    ///   - config: The model. Its `imageSize` fixes `pos_embed`; pass a resized config to count a
    ///     resized position embedding.
    ///   - batch: Images per forward pass.
    ///   - imageSize: Height and width to run at (defaults to `config.imageSize`). A different size
    ///     changes the sequence length, not the parameters.
    ///   - parameterDType: Storage type of the parameters, for `paramsBytes` (float32 by default).
    /// - Throws: `ViTConfigError` for an inconsistent config; `ViTSummaryError` for a bad batch or image
    ///   size, or sizes whose counts would overflow.
    public init(config: ViTConfig, batch: Int = 1, imageSize: [Int]? = nil, parameterDType: DType = .f32) throws {
        try config.validate()
        guard batch > 0 else { throw ViTSummaryError.batchNotPositive(batch) }
        let size = imageSize ?? config.imageSize
        guard size.count == 2, size[0] > 0, size[1] > 0 else { throw ViTSummaryError.badImageSize(size) }
        guard size[0] % config.patchSize[0] == 0, size[1] % config.patchSize[1] == 0 else {
            throw ViTSummaryError.imageNotTiled(imageSize: size, patchSize: config.patchSize)
        }
        try Self.checkMagnitudes(config: config, batch: batch, imageSize: size)

        var stored = config
        stored.labels = nil
        self.config = stored
        self.batch = batch
        self.imageSize = size
        self.inputShape = [batch, config.inChannels, size[0], size[1]]
        self.sequenceLength = config.numPrefixTokens
            + (size[0] / config.patchSize[0]) * (size[1] / config.patchSize[1])
        self.parameterDType = parameterDType

        let rows = SummaryLayerTree.build(config: config, batch: batch, imageSize: size)
        layers = rows
        totalParams = rows.reduce(0) { $0 + $1.ownParams }
        trainableParams = totalParams
        nonTrainableParams = 0
        paramsBytes = totalParams * parameterDType.byteSize
        inputBytes = inputShape.reduce(1, *) * DType.f32.byteSize
        let leavesWithParams = rows.filter { $0.isLeaf && $0.ownParams > 0 }
        forwardBackwardBytes = 2 * DType.f32.byteSize * leavesWithParams.reduce(0) { $0 + $1.outputShape.reduce(1, *) }
        estimatedTotalBytes = inputBytes + forwardBackwardBytes + paramsBytes

        let compute = SummaryCompute(config: config, batch: batch, imageSize: size)
        macBreakdown = compute.macs
        macs = compute.macs.total
        macsWithoutAttention = compute.macs.totalWithoutAttention
        activations = compute.activations
        activationsWithoutAttention = compute.activationsWithoutAttention

        // torchinfo: Conv layers count parameters × batch × output positions, every other leaf
        // parameters × batch, and only tensors named weight/bias (so LayerScale's gamma counts nothing).
        var multAdds = 0
        for row in leavesWithParams where row.type != "LayerScale" {
            let positions = row.type == "Conv2d" ? row.outputShape.dropFirst(2).reduce(1, *) : 1
            multAdds += row.ownParams * batch * positions
        }
        let rootOwn = rows.first?.ownParams ?? 0
        torchinfo = TorchinfoFigures(multAdds: multAdds, paramsBytes: (totalParams - rootOwn) * parameterDType.byteSize)
    }

    /// Rejects sizes whose exact counts would overflow, using a floating-point estimate.
    private static func checkMagnitudes(config: ViTConfig, batch: Int, imageSize: [Int]) throws {
        // Every integer product computed later is at most one of these; 2^56 leaves room for the
        // byte multipliers (≤ 16) and sums.
        let limit = 72_057_594_037_927_936.0  // 2^56
        let compute = SummaryCompute.estimate(config: config, batch: batch, imageSize: imageSize)
        if compute >= limit { throw ViTSummaryError.tooLarge(quantity: "the MAC count", approximately: compute) }
        let params = config.canonicalTensors.reduce(0.0) { $0 + $1.shape.reduce(1.0) { $0 * Double($1) } }
        if params >= limit { throw ViTSummaryError.tooLarge(quantity: "the parameter count", approximately: params) }
        let input = Double(batch) * Double(config.inChannels) * Double(imageSize[0]) * Double(imageSize[1])
        if input >= limit { throw ViTSummaryError.tooLarge(quantity: "the input size", approximately: input) }
    }

    enum CodingKeys: String, CodingKey {
        case config, batch, imageSize = "image_size", inputShape = "input_shape"
        case sequenceLength = "sequence_length", parameterDType = "params_dtype", layers
        case totalParams = "total_params", trainableParams = "trainable_params"
        case nonTrainableParams = "non_trainable_params", paramsBytes = "params_bytes"
        case inputBytes = "input_bytes", forwardBackwardBytes = "forward_backward_bytes"
        case estimatedTotalBytes = "estimated_total_bytes", macs, macsWithoutAttention = "macs_without_attention"
        case macBreakdown = "mac_breakdown", activations
        case activationsWithoutAttention = "activations_without_attention", torchinfo
    }

    // MARK: JSON

    /// JSON text of the summary (snake_case keys, sorted; schema in docs/summary.md).
    public func jsonString(pretty: Bool = false) -> String {
        String(decoding: jsonData(pretty: pretty), as: UTF8.self)
    }

    /// The summary as a JSON dictionary (for callers that add their own keys before serialising).
    public var jsonObject: [String: Any] {
        (try? JSONSerialization.jsonObject(with: jsonData(pretty: false))) as? [String: Any] ?? [:]
    }

    private func jsonData(pretty: Bool) -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        // Encoding plain integers, strings and arrays cannot fail.
        return (try? enc.encode(self)) ?? Data("{}".utf8)
    }
}
