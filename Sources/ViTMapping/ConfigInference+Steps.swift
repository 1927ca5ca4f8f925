import ViTModel
import ViTTensor

/// The steps of `ConfigInference.infer`, in the order it runs them.
extension ConfigInference {
    /// Width D and the number of position embeddings T.
    struct Width { let embedDim: Int; let positions: Int }

    /// Sizes read from the blocks.
    struct BlockSizes {
        let indices: [Int]
        let depth: Int
        let attnDim: Int
        let mlpDim: Int
        let qkvBias: Bool
        let layerScale: Bool
        /// fc1 packs gate and value (2H rows) for an fc2 that reads H: a SwiGLU MLP.
        let packedGLU: Bool
    }

    /// The tokens before the patches.
    struct PrefixTokens {
        let classToken: Bool
        let registers: Int
        let distilled: Bool
        var count: Int { (classToken ? 1 : 0) + (distilled ? 1 : 0) + registers }
    }

    /// The input image the position embedding was made for.
    struct Grid {
        let imageSize: [Int]
        let noEmbedClass: Bool
        var registersAfterPosEmbed = false
    }

    /// The classifier's sizes (0 classes: no classifier).
    struct Classifier { let preLogitsDim: Int?; let numClasses: Int }

    /// Step 1: width D and token count from the position embedding (1, T, D) — every convention has one and
    /// detection requires it.
    static func widthAndTokens(_ m: BoundModel) throws -> Width {
        guard let pos = try m.canonicalShape(Role(.posEmbed), patch: nil) else {
            throw MappingError.missingTensors(file: m.file, names: ["pos_embed"])
        }
        guard pos.count == 3, pos[0] == 1 else {
            throw MappingError.unexpectedShape(file: m.file, tensor: m.sources(.posEmbed)?.first?.info.name ?? "pos_embed",
                                               expected: "(1, tokens, D)", found: pos)
        }
        return Width(embedDim: pos[2], positions: pos[1])
    }

    /// Step 2: depth (block indices 0 ..< max+1; gaps show up later as missing tensors), attention width from the
    /// fused qkv (3A, D) else the projection (D, A), MLP width, qkv bias and layer scale.
    static func blockSizes(_ m: BoundModel, width d: Int) throws -> BlockSizes {
        let blocks = Set(m.roles.keys.compactMap(\.block)).sorted()
        // (Detection requires an attention weight, so there is at least one block.)
        guard let maxBlock = blocks.last else { throw MappingError.missingTensors(file: m.file, names: ["blocks.0.attn.qkv.weight"]) }
        func firstShape(_ part: Part) throws -> [Int]? {
            for b in blocks { if let s = try m.canonicalShape(Role(part, block: b), patch: nil) { return s } }
            return nil
        }
        var attnDim = d
        if let qkv = try firstShape(.qkv(.weight)), qkv.count == 2, qkv[0] % 3 == 0 {
            attnDim = qkv[0] / 3
        } else if let proj = try firstShape(.proj(.weight)), proj.count == 2 {
            attnDim = proj[1]
        }
        var mlp = 4 * d
        let fc1Shape = try firstShape(.fc1(.weight)), fc2Shape = try firstShape(.fc2(.weight))
        if let fc1 = fc1Shape, fc1.count == 2 { mlp = fc1[0] }
        else if let fc2 = fc2Shape, fc2.count == 2 { mlp = fc2[1] }
        // A packed SwiGLU: fc1 makes gate and value (2H rows) for an fc2 that reads H.
        var packedGLU = false
        if let fc1 = fc1Shape, let fc2 = fc2Shape, fc1.count == 2, fc2.count == 2, fc1[0] == 2 * fc2[1] {
            packedGLU = true
            mlp = fc2[1]
        }
        return BlockSizes(indices: blocks, depth: maxBlock + 1, attnDim: attnDim, mlpDim: mlp,
                          qkvBias: blocks.contains { m.has(.qkv(.bias), block: $0) },
                          layerScale: blocks.contains { m.has(.ls1, block: $0) || m.has(.ls2, block: $0) },
                          packedGLU: packedGLU)
    }

    /// Step 3: class token (an empty one means mean pooling), registers (1, R, D) and a distillation token.
    static func prefixTokens(_ m: BoundModel, notes: inout [String]) throws -> PrefixTokens {
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
                throw MappingError.unexpectedShape(file: m.file, tensor: m.sources(.regToken)?.first?.info.name ?? "reg_token",
                                                   expected: "(1, registers, D)", found: reg)
            }
            registers = reg[1]
        }
        return PrefixTokens(classToken: classToken, registers: registers, distilled: m.has(.distToken))
    }

    /// Step 4: patch size and channels, from a conv kernel (D, C, P, P) (checked against metadata), or from a
    /// Linear (D, P·P·C) with metadata, options or a stated assumption.
    static func patchEmbedding(_ m: BoundModel, facts: MetadataFacts, options: MappingOptions,
                               notes: inout [String]) throws -> (PatchGeometry, ViTConfig.PatchEmbedKind) {
        let file = m.file
        guard let s = m.sources(.patchProj(.weight))?.first else {
            throw MappingError.missingTensors(file: file, names: ["patch_embed.proj.weight"])
        }
        guard let t = try m.transform(Role(.patchProj(.weight)), patch: nil), let conv = t.outputShape([s.info.shape]) else {
            return (try linearPatch(s.info, facts: facts, options: options, file: file, notes: &notes), .linear)
        }
        guard conv.count == 4 else {
            throw MappingError.unexpectedShape(file: file, tensor: s.info.name, expected: "a conv kernel (D, C, P, P)", found: s.info.shape)
        }
        let patch = PatchGeometry(patch: [conv[2], conv[3]], channels: conv[1])
        if let c = facts.channels, c.value != patch.channels {
            throw MappingError.metadataMismatch(file: file, key: c.key, metadata: "\(c.value)", weights: "\(patch.channels) channels")
        }
        if let p = facts.patchSize, p.value != patch.patch {
            throw MappingError.metadataMismatch(file: file, key: p.key, metadata: "\(p.value)", weights: "patch \(patch.patch)")
        }
        return (patch, .conv)
    }

    /// Step 5: the image size, from options, then metadata, then a square grid; and whether the position
    /// embedding covers the patches only (timm `no_embed_class`) or the class token but not the registers
    /// inserted after it (DINOv2).
    static func imageGrid(_ m: BoundModel, positions: Int, prefix tokens: PrefixTokens, patch: PatchGeometry, facts: MetadataFacts,
                          options: MappingOptions, notes: inout [String]) throws -> Grid {
        let file = m.file
        let prefix = tokens.count
        let allowsNoEmbedClass = m.dialect.traits.allowsNoEmbedClass
        // DINOv2's arrangement: pos_embed covers the class token but not the registers inserted after it.
        let coveredWithoutRegisters = tokens.registers > 0 && tokens.classToken ? prefix - tokens.registers : nil
        let registersNote = "registers are inserted after the position embedding, which covers the class token only (DINOv2)"
        let given: Fact<[Int]>? = options.imageSize.map { Fact(value: $0, key: "--source-image-size") } ?? facts.imageSize
        if let given {
            let g = given.value
            guard g.count == 2, g[0] > 0, g[1] > 0, g[0] % patch.patch[0] == 0, g[1] % patch.patch[1] == 0 else {
                throw MappingError.metadataMismatch(file: file, key: given.key, metadata: "\(g)",
                                                    weights: "patches of \(patch.patch[0])x\(patch.patch[1])")
            }
            let grid = (g[0] / patch.patch[0]) * (g[1] / patch.patch[1])
            if positions == grid + prefix { return Grid(imageSize: g, noEmbedClass: false) }
            if let c = coveredWithoutRegisters, positions == grid + c {
                notes.append(registersNote)
                return Grid(imageSize: g, noEmbedClass: false, registersAfterPosEmbed: true)
            }
            if allowsNoEmbedClass, prefix > 0, positions == grid {
                notes.append("pos_embed covers the patches only (no_embed_class)")
                return Grid(imageSize: g, noEmbedClass: true)
            }
            throw MappingError.metadataMismatch(file: file, key: given.key, metadata: "\(g[0])x\(g[1]) (\(grid) patches + \(prefix) prefix tokens)",
                                                weights: "\(positions) position embeddings")
        }
        let grid: Grid
        if let c = coveredWithoutRegisters, !allowsNoEmbedClass || exactSquareRoot(positions - prefix) == nil,
           let s = exactSquareRoot(positions - c) {
            grid = Grid(imageSize: [s * patch.patch[0], s * patch.patch[1]], noEmbedClass: false, registersAfterPosEmbed: true)
            notes.append(registersNote)
        } else if let s = exactSquareRoot(positions - prefix) {
            grid = Grid(imageSize: [s * patch.patch[0], s * patch.patch[1]], noEmbedClass: false)
            if allowsNoEmbedClass, prefix > 0, exactSquareRoot(positions) != nil {
                notes.append("\(positions) position embeddings fit both \(s)x\(s) patches + \(prefix) prefix tokens and a patch-only grid; chose the former (timm's default)")
            }
        } else if allowsNoEmbedClass, prefix > 0, let s = exactSquareRoot(positions) {
            grid = Grid(imageSize: [s * patch.patch[0], s * patch.patch[1]], noEmbedClass: true)
            notes.append("pos_embed covers the patches only (no_embed_class)")
        } else {
            throw MappingError.cannotInferGrid(file: file, patchTokens: positions - prefix)
        }
        notes.append("image size \(grid.imageSize[0])x\(grid.imageSize[1]) assumed from a square patch grid (no metadata gives it)")
        return grid
    }

    /// Step 6: global pooling — an attention-pool (MAP) head when the weights have one, else by the dialect's
    /// rule — and the width of the MAP head's MLP.
    static func pooling(_ m: BoundModel, classToken: Bool, facts: MetadataFacts,
                        notes: inout [String]) throws -> (ViTConfig.GlobalPool, Int?) {
        if m.has(.poolLatent) {
            var poolMlp: Int?
            if let f = try m.canonicalShape(Role(.poolFc1(.weight)), patch: nil), f.count == 2 { poolMlp = f[0] }
            return (.map, poolMlp)
        }
        if classToken, m.dialect.name == Dialect.huggingFaceDinov2.name,
           let head = try m.canonicalShape(Role(.head(.weight)), patch: nil), head.count == 2,
           let pos = try m.canonicalShape(Role(.posEmbed), patch: nil), let d = pos.last, head[1] == 2 * d {
            notes.append("classifier over concat(class token, mean of patch tokens) (\(head[1]) = 2 × \(d) inputs), "
                         + "as transformers' Dinov2ForImageClassification")
            return (.tokenAvg, nil)
        }
        return (ruledPooling(m, classToken: classToken, facts: facts, notes: &notes), nil)
    }

    /// Pooling by the dialect's rule.
    static func ruledPooling(_ m: BoundModel, classToken: Bool, facts: MetadataFacts, notes: inout [String]) -> ViTConfig.GlobalPool {
        switch m.dialect.traits.pooling {
        case .timm:
            if let p = facts.globalPool { return p.value }
            if !classToken { return .avg }
            if m.has(.fcNorm(.weight)) {
                notes.append("global pool 'avg' assumed from fc_norm (timm turns fc_norm on for avg pooling)")
                return .avg
            }
            return .token
        case .classTokenElseMean:
            let convention = m.dialect.convention
            if !classToken, [.jax, .bigVision].contains(convention) {
                notes.append("no class token: mean of the tokens after encoder_norm (classifier/pool_type 'gap'; "
                             + "big_vision's rare pool_type '0', which reads token 0, has the same weights)")
            }
            if classToken, [.torchMHA, .einops, .structural].contains(convention) || m.dialect.name == Dialect.vitPytorchPreNorm.name {
                notes.append("pooling: the class token (the weights cannot show a different pooling)")
            }
            return classToken ? .token : .avg
        }
    }

    /// The MLP activation: the option, a packed SwiGLU in the weights, metadata, else the convention's default.
    static func mlpActivation(_ m: BoundModel, packedGLU: Bool, mlpDim: Int, facts: MetadataFacts, options: MappingOptions,
                              notes: inout [String]) -> ViTConfig.Activation {
        if let a = options.activation {
            notes.append("activation \(a.rawValue) from --activation")
            return a
        }
        if packedGLU {
            notes.append("SwiGLU: fc1 packs gate and value (\(2 * mlpDim) rows) for an fc2 of \(mlpDim)")
            return .swiglu
        }
        if let f = facts.activation {
            if f.value != .gelu { notes.append("activation \(f.value.rawValue) from \(f.key)") }
            return f.value
        }
        if isBigVisionSigLIP(m) {
            notes.append("GELU with the tanh approximation: big_vision's nn.gelu, as SigLIP was trained (HF gelu_pytorch_tanh); "
                         + "pass --activation gelu for the output of timm's SigLIP v1 archs, which use exact GELU")
            return .geluTanh
        }
        let traits = m.dialect.traits
        if let r = traits.activationReason { notes.append(r) }
        return traits.activation
    }

    /// A big_vision model with a MAP head: SigLIP's image tower.
    static func isBigVisionSigLIP(_ m: BoundModel) -> Bool { m.dialect.convention == .bigVision && m.has(.poolLatent) }

    /// Step 7: the classifier's sizes.
    static func classifier(_ m: BoundModel) throws -> Classifier {
        var preLogitsDim: Int?
        if let p = try m.canonicalShape(Role(.preLogits(.weight)), patch: nil), p.count == 2 { preLogitsDim = p[0] }
        var numClasses = 0
        if let h = try m.canonicalShape(Role(.head(.weight)), patch: nil), h.count == 2 { numClasses = h[0] }
        return Classifier(preLogitsDim: preLogitsDim, numClasses: numClasses)
    }

    /// Step 8: LayerNorm epsilon from `--eps`, metadata, else the dialect's default (said).
    static func layerNormEps(_ m: BoundModel, facts: MetadataFacts, options: MappingOptions, notes: inout [String]) -> Double {
        if let e = options.layerNormEps { notes.append("LayerNorm eps \(e) from --eps"); return e }
        if let e = facts.eps { notes.append("LayerNorm eps \(e.value) from \(e.key)"); return e.value }
        if m.dialect.convention == .timm && m.has(.normPre(.weight)) {
            // timm builds norm_pre (`pre_norm=True`) only in its CLIP archs, all with `partial(LayerNorm, eps=1e-5)`.
            notes.append("LayerNorm eps 1e-05 assumed: timm's CLIP archs (the ViTs with norm_pre) use eps 1e-5")
            return 1e-5
        }
        let traits = m.dialect.traits
        notes.append("LayerNorm eps \(traits.eps) assumed: \(traits.epsReason)")
        return traits.eps
    }

    /// Step 9 (see `inferHeads`), then step 10: metadata sizes must agree with the weights.
    static func crossCheck(_ file: String, facts: MetadataFacts, width d: Int, blocks: BlockSizes) throws {
        for (fact, value, what) in [(facts.embedDim, d, "width D"), (facts.depth, blocks.depth, "blocks"), (facts.mlpDim, blocks.mlpDim, "MLP width")] {
            if let f = fact, f.value != value {
                throw MappingError.metadataMismatch(file: file, key: f.key, metadata: "\(f.value)", weights: "\(what) \(value)")
            }
        }
        if let f = facts.qkvBias, f.value != blocks.qkvBias {
            throw MappingError.metadataMismatch(file: file, key: f.key, metadata: "\(f.value)",
                                                weights: "qkv bias \(blocks.qkvBias ? "present" : "absent")")
        }
    }

    /// Class names from metadata when they fit the classifier.
    static func labelNames(_ facts: MetadataFacts, numClasses: Int, notes: inout [String]) -> [String]? {
        guard let l = facts.labels else { return nil }
        if l.value.count == numClasses { return l.value }
        notes.append("\(l.key) lists \(l.value.count) labels for \(numClasses) classes; labels ignored")
        return nil
    }

    /// Channels and patch size of a Linear patch embedding (D, P·P·C): channels from options or metadata,
    /// else 3 when the length allows it, else 1; a square patch unless metadata gives its size.
    static func linearPatch(_ info: TensorInfo, facts: MetadataFacts, options: MappingOptions, file: String,
                            notes: inout [String]) throws -> PatchGeometry {
        let n = info.shape[1]
        var channels = options.inChannels ?? facts.channels?.value
        if channels == nil {
            if n % 3 == 0, exactSquareRoot(n / 3) != nil { channels = 3 } else if exactSquareRoot(n) != nil { channels = 1 }
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
        guard let side = exactSquareRoot(n / c) else {
            throw MappingError.cannotInferPatch(file: file, tensor: info.name, length: n, channels: c)
        }
        return PatchGeometry(patch: [side, side], channels: c)
    }

    /// Step 9: heads from per-head weights, else metadata, else the option, else head dim 64.
    static func inferHeads(_ m: BoundModel, attnDim: Int, blocks: [Int], facts: MetadataFacts,
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
