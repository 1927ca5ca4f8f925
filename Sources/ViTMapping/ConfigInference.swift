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
enum ConfigInference {
    static func infer(_ m: BoundModel, facts: MetadataFacts, options: MappingOptions) throws -> Inferred {
        let file = m.file
        var notes = facts.notes
        if let embedded = facts.embedded { return try fromEmbedded(embedded, m, options: options, notes: notes) }
        let traits = m.dialect.traits

        // Width D: the position embedding's last axis (every convention has one; detection requires it).
        guard let pos = try m.canonicalShape(Role(.posEmbed), patch: nil) else {
            throw MappingError.missingTensors(file: file, names: ["pos_embed"])
        }
        guard pos.count == 3, pos[0] == 1 else {
            throw MappingError.unexpectedShape(file: file, tensor: m.sources(.posEmbed)?.first?.info.name ?? "pos_embed",
                                               expected: "(1, tokens, D)", found: pos)
        }
        let d = pos[2]
        let posTokens = pos[1]

        // Depth: block indices 0 ..< max+1 (gaps show up as missing tensors).
        let blocks = Set(m.roles.keys.compactMap(\.block))
        // (Detection requires an attention weight, so there is at least one block.)
        guard let maxBlock = blocks.max() else { throw MappingError.missingTensors(file: file, names: ["blocks.0.attn.qkv.weight"]) }
        let depth = maxBlock + 1
        func firstShape(_ make: (Int) -> Role) throws -> [Int]? {
            for b in blocks.sorted() { if let s = try m.canonicalShape(make(b), patch: nil) { return s } }
            return nil
        }

        // Attention width from the fused qkv (3A, D), else the projection (D, A).
        var attnDim = d
        if let qkv = try firstShape({ Role(.qkv(.weight), block: $0) }), qkv.count == 2, qkv[0] % 3 == 0 {
            attnDim = qkv[0] / 3
        } else if let proj = try firstShape({ Role(.proj(.weight), block: $0) }), proj.count == 2 {
            attnDim = proj[1]
        }
        var mlp = 4 * d
        if let fc1 = try firstShape({ Role(.fc1(.weight), block: $0) }), fc1.count == 2 { mlp = fc1[0] }
        else if let fc2 = try firstShape({ Role(.fc2(.weight), block: $0) }), fc2.count == 2 { mlp = fc2[1] }
        let qkvBias = blocks.contains { m.has(.qkv(.bias), block: $0) }
        let layerScale = blocks.contains { m.has(.ls1, block: $0) || m.has(.ls2, block: $0) }

        // Prefix tokens.
        var classToken = false
        if let cls = m.sources(.clsToken)?.first {
            if cls.info.elementCount == 0 {
                notes.append("\(cls.info.name) is empty \(Shape.describe(cls.info.shape)): the model has no class token (mean pooling)")
            } else {
                classToken = true
            }
        }
        var registers = 0
        if let reg = try m.canonicalShape(Role(.regToken), patch: nil) {
            guard reg.count == 3 else {
                throw MappingError.unexpectedShape(file: file, tensor: m.sources(.regToken)?.first?.info.name ?? "reg_token",
                                                   expected: "(1, registers, D)", found: reg)
            }
            registers = reg[1]
        }
        let distilled = m.has(.distToken)
        let prefix = (classToken ? 1 : 0) + (distilled ? 1 : 0) + registers

        // Patch embedding.
        let projSource = m.sources(.patchProj(.weight))?.first
        let patch: PatchGeometry
        let patchKind: ViTConfig.PatchEmbedKind
        if let t = try m.transform(Role(.patchProj(.weight)), patch: nil), let s = projSource,
           let conv = t.outputShape([s.info.shape]) {
            guard conv.count == 4 else {
                throw MappingError.unexpectedShape(file: file, tensor: s.info.name, expected: "a conv kernel (D, C, P, P)", found: s.info.shape)
            }
            patch = PatchGeometry(patch: [conv[2], conv[3]], channels: conv[1])
            patchKind = .conv
            if let c = facts.channels, c.value != patch.channels {
                throw MappingError.metadataMismatch(file: file, key: c.key, metadata: "\(c.value)", weights: "\(patch.channels) channels")
            }
            if let p = facts.patchSize, p.value != patch.patch {
                throw MappingError.metadataMismatch(file: file, key: p.key, metadata: "\(p.value)", weights: "patch \(patch.patch)")
            }
        } else if let s = projSource {
            patch = try linearPatch(s.info, facts: facts, options: options, file: file, notes: &notes)
            patchKind = .linear
        } else {
            throw MappingError.missingTensors(file: file, names: ["patch_embed.proj.weight"])
        }

        // Grid and image size: options, then metadata, then a square grid.
        var noEmbedClass = false
        let imageSize: [Int]
        let given: Fact<[Int]>? = options.imageSize.map { Fact(value: $0, key: "--source-image-size") } ?? facts.imageSize
        if let given {
            let g = given.value
            guard g.count == 2, g[0] > 0, g[1] > 0, g[0] % patch.patch[0] == 0, g[1] % patch.patch[1] == 0 else {
                throw MappingError.metadataMismatch(file: file, key: given.key, metadata: "\(g)",
                                                    weights: "patches of \(patch.patch[0])x\(patch.patch[1])")
            }
            let grid = (g[0] / patch.patch[0]) * (g[1] / patch.patch[1])
            if posTokens == grid + prefix {
                noEmbedClass = false
            } else if traits.allowsNoEmbedClass, prefix > 0, posTokens == grid {
                noEmbedClass = true
                notes.append("pos_embed covers the patches only (no_embed_class)")
            } else {
                throw MappingError.metadataMismatch(file: file, key: given.key, metadata: "\(g[0])x\(g[1]) (\(grid) patches + \(prefix) prefix tokens)",
                                                    weights: "\(posTokens) position embeddings")
            }
            imageSize = g
        } else {
            func side(_ n: Int) -> Int? {
                guard n > 0 else { return nil }
                var r = Int(Double(n).squareRoot())
                while r * r > n { r -= 1 }
                while (r + 1) * (r + 1) <= n { r += 1 }
                return r * r == n ? r : nil
            }
            if let s = side(posTokens - prefix) {
                imageSize = [s * patch.patch[0], s * patch.patch[1]]
                if traits.allowsNoEmbedClass, prefix > 0, side(posTokens) != nil {
                    notes.append("\(posTokens) position embeddings fit both \(s)x\(s) patches + \(prefix) prefix tokens and a patch-only grid; chose the former (timm's default)")
                }
            } else if traits.allowsNoEmbedClass, prefix > 0, let s = side(posTokens) {
                imageSize = [s * patch.patch[0], s * patch.patch[1]]
                noEmbedClass = true
                notes.append("pos_embed covers the patches only (no_embed_class)")
            } else {
                throw MappingError.cannotInferGrid(file: file, patchTokens: posTokens - prefix)
            }
            notes.append("image size \(imageSize[0])x\(imageSize[1]) assumed from a square patch grid (no metadata gives it)")
        }

        // Norms and pooling.
        let finalNorm = m.has(.norm(.weight))
        let hasFcNorm = m.has(.fcNorm(.weight))
        var pool: ViTConfig.GlobalPool
        switch traits.pooling {
        case .timm:
            if let p = facts.globalPool { pool = p.value }
            else if !classToken { pool = .avg }
            else if hasFcNorm {
                pool = .avg
                notes.append("global pool 'avg' assumed from fc_norm (timm turns fc_norm on for avg pooling)")
            } else { pool = .token }
        case .classTokenElseMean:
            pool = classToken ? .token : .avg
            if !classToken, [.jax, .bigVision].contains(m.dialect.convention) {
                notes.append("no class token: mean of the tokens after encoder_norm (classifier/pool_type 'gap'; "
                             + "big_vision's rare pool_type '0', which reads token 0, has the same weights)")
            }
            if classToken, [.torchMHA, .einops].contains(m.dialect.convention) || m.dialect.name == Dialect.vitPytorchPreNorm.name {
                notes.append("pooling: the class token (the weights cannot show a different pooling)")
            }
        }
        // Classifier.
        var preLogitsDim: Int?
        if let p = try m.canonicalShape(Role(.preLogits(.weight)), patch: nil), p.count == 2 { preLogitsDim = p[0] }
        var numClasses = 0
        if let h = try m.canonicalShape(Role(.head(.weight)), patch: nil), h.count == 2 { numClasses = h[0] }

        // Epsilon.
        let eps: Double
        if let e = options.layerNormEps { eps = e; notes.append("LayerNorm eps \(e) from --eps") }
        else if let e = facts.eps { eps = e.value; notes.append("LayerNorm eps \(e.value) from \(e.key)") }
        else { eps = traits.eps; notes.append("LayerNorm eps \(traits.eps) assumed: \(traits.epsReason)") }

        // Heads.
        let (heads, headsSource) = try inferHeads(m, attnDim: attnDim, blocks: blocks.sorted(), facts: facts, options: options)
        if headsSource == .assumedHeadDim64 {
            notes.append("\(heads) heads assumed (head dim 64); nothing in the file records the heads, pass --heads to override")
        }

        // Cross-checks against metadata sizes.
        for (fact, value, what) in [(facts.embedDim, d, "width D"), (facts.depth, depth, "blocks"), (facts.mlpDim, mlp, "MLP width")] {
            if let f = fact, f.value != value {
                throw MappingError.metadataMismatch(file: file, key: f.key, metadata: "\(f.value)", weights: "\(what) \(value)")
            }
        }
        if let f = facts.qkvBias, f.value != qkvBias {
            throw MappingError.metadataMismatch(file: file, key: f.key, metadata: "\(f.value)", weights: "qkv bias \(qkvBias ? "present" : "absent")")
        }
        var labels: [String]?
        if let l = facts.labels {
            if l.value.count == numClasses { labels = l.value }
            else { notes.append("\(l.key) lists \(l.value.count) labels for \(numClasses) classes; labels ignored") }
        }

        let config = ViTConfig(
            imageSize: imageSize, patchSize: patch.patch, inChannels: patch.channels, embedDim: d, depth: depth,
            numHeads: heads, attnDim: attnDim, mlpHiddenDim: mlp, qkvBias: qkvBias, classToken: classToken,
            registerTokens: registers, noEmbedClass: noEmbedClass, globalPool: pool,
            finalNorm: finalNorm, fcNorm: hasFcNorm,
            normPre: m.has(.normPre(.weight)), layerScale: layerScale, preLogitsDim: preLogitsDim,
            preLogitsActivation: preLogitsDim == nil ? nil : traits.preLogitsActivation, distilled: distilled,
            patchEmbed: patchKind, patchBias: m.has(.patchProj(.bias)), patchNormPre: m.has(.patchNormPre(.weight)),
            patchNormPost: m.has(.patchNorm(.weight)), layerNormEps: eps, numClasses: numClasses, labels: labels)
        do { try config.validate() } catch let e as ViTConfigError { throw MappingError.invalidConfig(file: file, error: e) }
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

    /// Channels and patch size of a Linear patch embedding (D, P·P·C): channels from options or metadata,
    /// else 3 when the length allows it, else 1; a square patch unless metadata gives its size.
    private static func linearPatch(_ info: TensorInfo, facts: MetadataFacts, options: MappingOptions, file: String,
                                    notes: inout [String]) throws -> PatchGeometry {
        let n = info.shape[1]
        func square(_ x: Int) -> Int? {
            guard x > 0 else { return nil }
            var r = Int(Double(x).squareRoot())
            while r * r > x { r -= 1 }
            while (r + 1) * (r + 1) <= x { r += 1 }
            return r * r == x ? r : nil
        }
        var channels = options.inChannels ?? facts.channels?.value
        if channels == nil {
            if n % 3 == 0, square(n / 3) != nil { channels = 3 } else if square(n) != nil { channels = 1 }
            if let c = channels { notes.append("\(c) input channel(s) assumed from the patch length \(n) (pass --channels to override)") }
        }
        guard let c = channels, c > 0, n % c == 0 else {
            throw MappingError.cannotInferPatch(file: file, tensor: info.name, length: n, channels: channels)
        }
        if let p = facts.patchSize {
            guard p.value[0] * p.value[1] * c == n else {
                throw MappingError.metadataMismatch(file: file, key: p.key, metadata: "\(p.value)", weights: "patches of \(n) values")
            }
            return PatchGeometry(patch: p.value, channels: c)
        }
        guard let side = square(n / c) else {
            throw MappingError.cannotInferPatch(file: file, tensor: info.name, length: n, channels: c)
        }
        return PatchGeometry(patch: [side, side], channels: c)
    }

    /// Heads from per-head weights, else metadata, else the option, else head dim 64.
    private static func inferHeads(_ m: BoundModel, attnDim: Int, blocks: [Int], facts: MetadataFacts,
                                   options: MappingOptions) throws -> (Int, InferenceReport.HeadsSource) {
        var found: (Int, InferenceReport.HeadsSource, String)?
        // A JAX/Keras per-head kernel (D, H, hd) carries the heads in its shape (also when a q/k/v part is
        // missing, so that the missing part is what gets reported).
        search: for b in blocks {
            for part in [Part.qkv(.weight), .q(.weight), .k(.weight), .v(.weight)] {
                if let q = m.sources(part, block: b)?.first, q.layout == .denseKernel, q.shape.count == 3 {
                    found = (q.shape[1], .weights(tensor: q.info.name), q.info.name)
                    break search
                }
            }
        }
        if found == nil, let f = facts.heads { found = (f.value, .metadata(key: f.key), f.key) }
        if let (h, source, key) = found {
            if let o = options.heads, o != h {
                throw MappingError.headsConflict(file: m.file, option: o, found: h, source: key)
            }
            return (h, source)
        }
        if let o = options.heads { return (o, .userFlag) }
        guard attnDim % 64 == 0 else { throw MappingError.cannotInferHeads(file: m.file, attnDim: attnDim) }
        return (attnDim / 64, .assumedHeadDim64)
    }
}
