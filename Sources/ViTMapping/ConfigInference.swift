import ViTModel
import ViTTensor

/// The config inferred for a bound checkpoint, with where each uncertain value came from.
struct Inferred: Sendable {
    var config: ViTConfig
    var headsSource: InferenceReport.HeadsSource
    var configSource: String?
    var notes: [String]
    /// Set for Linear patch embeddings.
    var patch: PatchGeometry
}

/// Config inference from canonical shapes, metadata and options. Sizes come from the weights (a role's
/// shape is a fact about the model); what weights cannot show (heads, epsilon, a non-square image) comes from
/// metadata, then options, then a stated assumption.
///
/// `infer` runs named steps in order — width and tokens, block sizes, prefix tokens, patch, grid, pooling,
/// classifier, eps, heads, cross-checks — each a small function of the bound model, the facts and the
/// options (`ConfigInference+Steps.swift`).
enum ConfigInference {
    static func infer(_ m: BoundModel, facts: MetadataFacts, options: MappingOptions) throws -> Inferred {
        var inferred = try inferConfig(m, facts: facts, options: options)
        if let rule = options.posEmbedRule, rule != inferred.config.posEmbedRule {
            inferred.notes.append("run-time position-embedding interpolation \(rule.rawValue) (--interpolate) instead of "
                                  + "\(inferred.config.posEmbedRule.rawValue), the rule of \(inferred.config.posEmbedRule.source)")
            inferred.config.posEmbedRule = rule
        }
        return inferred
    }

    private static func inferConfig(_ m: BoundModel, facts: MetadataFacts, options: MappingOptions) throws -> Inferred {
        var notes = facts.notes
        if let embedded = facts.embedded { return try fromEmbedded(embedded, m, options: options, notes: notes) }
        let width = try widthAndTokens(m)
        let blocks = try blockSizes(m, width: width.embedDim)
        let prefix = try prefixTokens(m, notes: &notes)
        let (patch, patchKind) = try patchEmbedding(m, facts: facts, options: options, notes: &notes)
        let grid = try imageGrid(m, positions: width.positions, prefix: prefix, patch: patch, facts: facts,
                                 options: options, notes: &notes)
        let (pool, poolMlp) = try pooling(m, classToken: prefix.classToken, facts: facts, notes: &notes)
        let head = try classifier(m)
        let activation = mlpActivation(m, packedGLU: blocks.packedGLU, mlpDim: blocks.mlpDim, facts: facts, options: options, notes: &notes)
        let eps = layerNormEps(m, facts: facts, options: options, notes: &notes)
        let (heads, headsSource) = try inferHeads(m, attnDim: blocks.attnDim, blocks: blocks.indices, facts: facts, options: options)
        if headsSource == .assumedHeadDim64 {
            notes.append("\(heads) heads assumed (head dim 64); nothing in the file records the heads, pass --heads to override")
        }
        try crossCheck(m.file, facts: facts, width: width.embedDim, blocks: blocks)
        let labels = labelNames(facts, numClasses: head.numClasses, notes: &notes)

        let config = ViTConfig(
            imageSize: grid.imageSize, patchSize: patch.patch, inChannels: patch.channels, embedDim: width.embedDim,
            depth: blocks.depth, numHeads: heads, attnDim: blocks.attnDim, mlpHiddenDim: blocks.mlpDim,
            qkvBias: blocks.qkvBias, classToken: prefix.classToken, registerTokens: prefix.registers,
            noEmbedClass: grid.noEmbedClass, globalPool: pool,
            finalNorm: m.has(.norm(.weight)), fcNorm: m.has(.fcNorm(.weight)),
            normPre: m.has(.normPre(.weight)), layerScale: blocks.layerScale, preLogitsDim: head.preLogitsDim,
            preLogitsActivation: head.preLogitsDim == nil ? nil : preLogitsActivation(m, options: options, notes: &notes),
            distilled: prefix.distilled,
            patchEmbed: patchKind, patchBias: m.has(.patchProj(.bias)), patchNormPre: m.has(.patchNormPre(.weight)),
            patchNormPost: m.has(.patchNorm(.weight)), layerNormEps: eps, numClasses: head.numClasses, labels: labels,
            activation: activation, headBias: !(head.numClasses > 0 && !m.has(.head(.bias))),
            registersAfterPosEmbed: grid.registersAfterPosEmbed, poolMlpHiddenDim: poolMlp,
            posEmbedRule: isBigVisionSigLIP(m) ? .bilinear
                : prefix.registers > 0 ? m.dialect.traits.posEmbedRuleWithRegisters : m.dialect.traits.posEmbedRule,
            family: facts.family ?? (isBigVisionSigLIP(m) ? "SigLIP (big_vision)" : m.dialect.traits.family))
        do { try config.validate() } catch let e as ViTConfigError { throw MappingError.invalidConfig(file: m.file, error: e) }
        return Inferred(config: config, headsSource: headsSource, configSource: nil, notes: notes, patch: patch)
    }

    /// ViTKit's own config, taken verbatim; the plan then checks every shape against it.
    private static func fromEmbedded(_ e: Fact<ViTConfig>, _ m: BoundModel, options: MappingOptions, notes: [String]) throws -> Inferred {
        var notes = notes
        let c = e.value
        if let h = options.heads, h != c.numHeads {
            throw MappingError.headsConflict(file: m.file, option: h, found: c.numHeads, source: e.key)
        }
        if options.imageSize != nil || options.inChannels != nil || options.layerNormEps != nil {
            notes.append("the config embedded in \(e.key) is used as is; size and eps options are ignored")
        }
        return Inferred(config: c, headsSource: .metadata(key: e.key), configSource: e.key, notes: notes,
                        patch: PatchGeometry(patch: c.patchSize, channels: c.inChannels))
    }

    /// The pre-logits activation: the option, else the dialect's (said when it is an assumption).
    static func preLogitsActivation(_ m: BoundModel, options: MappingOptions, notes: inout [String]) -> ViTConfig.PreLogitsActivation {
        if let a = options.preLogitsActivation { return a }
        let a = m.dialect.traits.preLogitsActivation
        if m.dialect.convention == .structural || m.dialect.convention == .torchMHA || m.dialect.convention == .einops {
            notes.append("classifier hidden-layer activation \(a.rawValue) assumed (the weights cannot show it; pass --head-act)")
        }
        return a
    }

    /// The integer square root of `n` when `n` is a positive perfect square.
    static func exactSquareRoot(_ n: Int) -> Int? {
        guard n > 0 else { return nil }
        var r = Int(Double(n).squareRoot())
        while r * r > n { r -= 1 }
        while (r + 1) * (r + 1) <= n { r += 1 }
        return r * r == n ? r : nil
    }
}
