/// Multiply-accumulates of one forward pass, split the way fvcore's `by_operator()` splits them.
///
/// fvcore's rules (0.1.5): a convolution costs `output elements × in_channels × kernel area`, a Linear
/// `rows × in × out` (bias free), a matmul the product of its dimensions, an affine LayerNorm
/// `5 × input elements`. GELU, softmax, adds, the attention scale, LayerScale and pooling cost nothing.
public struct MACBreakdown: Codable, Equatable, Sendable {
    /// The patch-embedding convolution.
    public let conv: Int
    /// Every Linear: qkv, attention proj, both MLP layers, pre-logits, head(s).
    public let linear: Int
    /// The two attention matmuls per block, `QKᵀ` and `attention × V`.
    public let attentionMatmul: Int
    /// Every LayerNorm, at 5 per input element.
    public let layerNorm: Int

    /// All of it: fvcore's total for timm with `set_fused_attn(False)`.
    public var total: Int { conv + linear + attentionMatmul + layerNorm }
    /// fvcore's total for timm's default fused attention, which it cannot see into.
    public var totalWithoutAttention: Int { conv + linear + layerNorm }

    enum CodingKeys: String, CodingKey {
        case conv, linear, attentionMatmul = "attention_matmul", layerNorm = "layer_norm"
    }
}

/// Closed forms for a config's compute, equal to fvcore's counts on the timm model.
struct SummaryCompute {
    let macs: MACBreakdown
    /// fvcore `ActivationCountAnalysis` total with explicit attention (output elements of every conv,
    /// Linear and matmul).
    let activations: Int
    /// The same without the two attention matmuls' outputs (fused attention).
    let activationsWithoutAttention: Int

    /// The counts in exact integers. Call `estimate` first when the sizes are untrusted: it bounds
    /// every product used here.
    init(config: ViTConfig, batch: Int, imageSize: [Int]) {
        let t = Self.terms(config: config, batch: batch, imageSize: imageSize, lift: { $0 })
        macs = MACBreakdown(conv: t.conv, linear: t.linear, attentionMatmul: t.matmul, layerNorm: t.layerNorm)
        activationsWithoutAttention = t.outputs
        activations = t.outputs + t.attentionOutputs
    }

    /// The largest count (MACs or activations) in floating point, to reject sizes whose exact counts
    /// would overflow `Int`.
    static func estimate(config: ViTConfig, batch: Int, imageSize: [Int]) -> Double {
        let t = terms(config: config, batch: batch, imageSize: imageSize, lift: { Double($0) })
        return max(t.conv + t.linear + t.matmul + t.layerNorm, t.outputs + t.attentionOutputs)
    }

    /// The fvcore terms, in any numeric type (exact `Int`, or `Double` for the overflow check).
    private static func terms<T: Numeric>(config c: ViTConfig, batch: Int, imageSize: [Int], lift: (Int) -> T)
        -> (conv: T, linear: T, matmul: T, layerNorm: T, outputs: T, attentionOutputs: T) {
        let b = lift(batch), d = lift(c.embedDim), a = lift(c.attnDim), m = lift(c.mlpHiddenDim)
        let h = lift(c.numHeads), blocks = lift(c.depth)
        let gCount = (imageSize[0] / c.patchSize[0]) * (imageSize[1] / c.patchSize[1])
        let g = lift(gCount)
        let n = lift(c.numPrefixTokens + gCount)
        let v = lift(c.patchVectorLength)
        // Tokens the head sees: the class token, plus the distillation token in a distilled model,
        // each with its own head.
        let headTokens = lift(c.distilled ? 2 : 1)
        let feature = lift(c.featureDim), k = lift(c.numClasses), pre = lift(c.preLogitsDim ?? 0)
        let three = lift(3), two = lift(2), five = lift(5)

        let conv = b * g * d * v
        // SwiGLU's fc1 packs gate and value: twice the hidden width.
        let fc1 = lift(c.fc1OutDim)
        var linear = blocks * b * n * (d * three * a + a * d + d * fc1 + m * d)
        linear += b * headTokens * d * pre
        linear += headTokens * b * feature * k
        var matmul = blocks * two * b * n * n * a
        // timm AttentionPoolLatent over the patch tokens: q of the latent, kv of every patch, one query's
        // attention, proj, its MLP on the latent, and one LayerNorm.
        var poolOutputs = lift(0), poolNorm = lift(0), poolAttention = lift(0)
        if c.globalPool == .map, let phInt = c.poolMlpHiddenDim {
            let ph = lift(phInt)
            linear += b * (d * d + g * d * two * d + d * d + d * ph + ph * d)
            matmul += two * b * g * d
            poolOutputs = b * (d + g * two * d + d + ph + d)
            poolNorm = b * d
            poolAttention = b * (h * g + d)  // the latent's scores over the patches, and its weighted values
        }
        var normElements = blocks * two * b * n * d
        if c.patchNormPre { normElements += b * g * v }
        if c.patchNormPost { normElements += b * g * d }
        if c.normPre { normElements += b * n * d }
        if c.finalNorm { normElements += b * n * d }
        if c.fcNorm { normElements += b * headTokens * d }
        normElements += poolNorm

        var outputs = b * g * d
        outputs += blocks * b * n * (three * a + d + fc1 + d) + poolOutputs
        outputs += b * headTokens * pre
        outputs += headTokens * b * k
        let attentionOutputs = blocks * b * (h * n * n + n * a) + poolAttention
        return (conv, linear, matmul, five * normElements, outputs, attentionOutputs)
    }
}
