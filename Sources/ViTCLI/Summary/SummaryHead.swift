import ViTMapping
import ViTModel
import ViTTensor

/// The head of a `vit-summary` report: the file, its format, how it was understood (`describe(report)`),
/// the inferred model in one line, and the size it is summarised at.
/// - Parameters:
///   - file: the checkpoint's path.
///   - format: its container format.
///   - result: the mapping (config and report).
///   - summary: the summary being printed (batch, run size, sequence length).
///   - dtypes: the stored dtypes of the canonical tensors, with their tensor counts.
/// - Returns: lines without newlines.
public func summaryHead(file: String, format: String, result: MappingResult, summary: ViTSummary,
                        dtypes: [(DType, Int)] = []) -> [String] {
    let c = result.config
    var lines = ["file: \(file)", "format: \(format)"]
    lines += describe(result.report)
    lines.append("model: " + describeModel(c))
    lines.append("family: \(c.family ?? "not recorded (a plain ViT as far as the names tell)")")
    lines.append("features: " + describeFeatures(c))
    if !dtypes.isEmpty {
        lines.append("dtype: " + dtypes.map { "\($0.0.shortName) (\($0.1) tensors)" }.joined(separator: ", "))
    }
    let run = summary.imageSize == c.imageSize ? "" : " (stored for \(c.imageSize[0])x\(c.imageSize[1]))"
    lines.append("input: batch \(summary.batch), image \(summary.imageSize[0])x\(summary.imageSize[1])\(run), "
                 + "sequence \(summary.sequenceLength) tokens")
    return lines
}

/// The family features of a config in one line: activation, registers and their arrangement, layer scale, MAP
/// head, norm_pre, projection head, what the model outputs, and the run-time position-embedding rule.
/// - Parameter c: the config.
public func describeFeatures(_ c: ViTConfig) -> String {
    var parts: [String] = []
    switch c.activation {
    case .gelu: parts.append("activation GELU (erf)")
    case .geluTanh: parts.append("activation GELU (tanh approximation)")
    case .quickGelu: parts.append("activation QuickGELU (x·σ(1.702x))")
    case .swiglu: parts.append("activation SwiGLU (packed fc1 \(c.fc1OutDim) = gate + value, hidden \(c.mlpHiddenDim))")
    case .relu: parts.append("activation ReLU")
    }
    if c.registerTokens > 0 {
        let where_ = c.registersAfterPosEmbed ? "inserted after the position embedding, which covers the class token only"
            : c.noEmbedClass ? "no position embedding on prefix tokens" : "covered by the position embedding"
        parts.append("\(c.registerTokens) register tokens (\(where_))")
    }
    if c.layerScale { parts.append("layer scale") }
    if c.normPre { parts.append("norm_pre") }
    if c.globalPool == .map { parts.append("MAP attention-pool head (MLP \(c.poolMlpHiddenDim ?? 0))") }
    if c.distilled { parts.append("distillation token (output: mean of both heads)") }
    if c.globalPool == .tokenAvg { parts.append("pool: class token + mean of patch tokens (\(c.featureDim) features)") }
    if c.numClasses > 0 {
        parts.append(c.headBias ? "output: \(c.numClasses) logits" : "output: projection head to \(c.numClasses), no bias (CLIP image embedding)")
    } else {
        parts.append("output: the \(c.featureDim)-wide embedding (pool \(c.globalPool.rawValue))")
    }
    parts.append("run-time resize \(c.posEmbedRule.rawValue) (\(c.posEmbedRule.source))")
    return parts.joined(separator: ", ")
}

/// A one-line description of a config: sizes first, then the parts that are not timm's defaults.
/// - Parameter c: the config.
public func describeModel(_ c: ViTConfig) -> String {
    var parts = ["image \(c.imageSize[0])x\(c.imageSize[1])", "patch \(c.patchSize[0])x\(c.patchSize[1])",
                 "\(c.inChannels) channels", "embed \(c.embedDim)", "depth \(c.depth)",
                 "heads \(c.numHeads) (head dim \(c.headDim))"]
    if c.attnDim != c.embedDim { parts.append("attention width \(c.attnDim)") }
    parts.append("mlp \(c.mlpHiddenDim)")
    parts.append(c.numClasses > 0 ? "\(c.numClasses) classes" : "no head (features)")
    var tokens: [String] = []
    if c.classToken { tokens.append("class token") }
    if c.distilled { tokens.append("distillation token") }
    if c.registerTokens > 0 { tokens.append("\(c.registerTokens) register tokens") }
    parts.append(tokens.isEmpty ? "no prefix tokens" : tokens.joined(separator: " + "))
    parts.append("pool \(c.globalPool.rawValue)")
    if !c.qkvBias { parts.append("no qkv bias") }
    if c.noEmbedClass { parts.append("no_embed_class") }
    if !c.finalNorm { parts.append("no final norm") }
    if c.fcNorm { parts.append("fc_norm") }
    if c.normPre { parts.append("norm_pre") }
    if c.layerScale { parts.append("LayerScale") }
    if let p = c.preLogitsDim { parts.append("pre-logits \(p) (\(c.preLogitsActivation?.rawValue ?? "tanh"))") }
    if c.patchEmbed == .linear { parts.append("linear patch embedding") }
    if !c.patchBias { parts.append("no patch bias") }
    if c.patchNormPre { parts.append("patch norm before") }
    if c.patchNormPost { parts.append("patch norm after") }
    parts.append("eps \(c.layerNormEps)")
    return parts.joined(separator: ", ")
}
