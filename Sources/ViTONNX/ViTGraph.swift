import ViTModel
import ViTTensor

/// The graph of one canonical ViT, built in forward order (ViTRuntime's `Forward` is the reference).
struct ViTGraph {
    let config: ViTConfig
    let tensors: [String: Tensor]
    var b = ONNXGraphBuilder()
    var notes: [String] = []

    init(config: ViTConfig, tensors: [String: Tensor]) {
        self.config = config
        self.tensors = tensors
    }

    private var c: ViTConfig { config }

    func tensor(_ name: String) throws -> Tensor {
        guard let t = tensors[name] else { throw ONNXExportError.missingTensor(name) }
        return t
    }

    /// Returns the output value (N × classes or N × features).
    mutating func build() throws -> String {
        var x = try patchEmbedding("pixel_values")
        x = try tokens(x)
        if c.normPre { x = try layerNorm(x, "norm_pre") }
        for i in 0..<c.depth { x = try block(x, i) }
        return try head(x)
    }

    // MARK: layers

    /// y = x·Wᵀ + b, with Wᵀ stored as an initializer named `<prefix>.weight_t`.
    mutating func linear(_ x: String, _ prefix: String, bias: Bool = true) throws -> String {
        let w = try b.weight(prefix + ".weight_t", transpose2D(try tensor(prefix + ".weight")))
        var y = b.op("MatMul", [x, w])
        if bias, let t = tensors[prefix + ".bias"] { y = b.op("Add", [y, try b.weight(prefix + ".bias", t)]) }
        return y
    }

    mutating func layerNorm(_ x: String, _ prefix: String) throws -> String {
        let w = try b.weight(prefix + ".weight", try tensor(prefix + ".weight"))
        let bias = try b.weight(prefix + ".bias", try tensor(prefix + ".bias"))
        return b.op("LayerNormalization", [x, w, bias],
                    attrs: [ONNXGraphBuilder.int("axis", -1), ONNXGraphBuilder.float("epsilon", Float(c.layerNormEps))])
    }

    mutating func activation(_ x: String) -> String {
        switch c.activation {
        case .gelu:
            return geluExact(x)
        case .geluTanh:
            // ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
            let x3 = b.op("Mul", [b.op("Mul", [x, x]), x])
            let inner = b.op("Add", [x, b.op("Mul", [x3, b.scalar(0.044715)])])
            let t = b.op("Tanh", [b.op("Mul", [inner, b.scalar(Float((2 / Double.pi).squareRoot()))])])
            return b.op("Mul", [b.op("Mul", [x, b.scalar(0.5)]), b.op("Add", [t, b.scalar(1)])])
        case .quickGelu:
            return b.op("Mul", [x, b.op("Sigmoid", [b.op("Mul", [x, b.scalar(1.702)])])])
        case .relu:
            return b.op("Relu", [x])
        case .swiglu:
            return x  // handled in `mlp` (it needs both halves)
        }
    }

    /// fc1 → activation (SwiGLU: SiLU(first half) · second half) → fc2.
    mutating func mlp(_ x: String, _ prefix: String, hidden: Int) throws -> String {
        var h = try linear(x, prefix + ".fc1")
        if c.activation == .swiglu {
            let gate = b.op("Slice", [h, b.ints([0]), b.ints([Int64(hidden)]), b.ints([-1])])
            let value = b.op("Slice", [h, b.ints([Int64(hidden)]), b.ints([Int64(2 * hidden)]), b.ints([-1])])
            h = b.op("Mul", [b.op("Mul", [gate, b.op("Sigmoid", [gate])]), value])
        } else {
            h = activation(h)
        }
        return try linear(h, prefix + ".fc2")
    }

    // MARK: stages

    /// pixel_values [N, C, H, W] → patch tokens [N, P, D].
    mutating func patchEmbedding(_ input: String) throws -> String {
        let (C, ph, pw) = (c.inChannels, c.patchSize[0], c.patchSize[1])
        let (gh, gw) = (c.gridSize[0], c.gridSize[1])
        let D = c.embedDim, P = c.numPatches
        var x: String
        if c.patchNormPre {
            // Patches flattened in (C, P, P) order, normed, then projected by the conv kernel as a Linear.
            var p = b.op("Reshape", [input, b.ints([0, Int64(C), Int64(gh), Int64(ph), Int64(gw), Int64(pw)])])
            p = b.op("Transpose", [p], attrs: [ONNXGraphBuilder.ints("perm", [0, 2, 4, 1, 3, 5])])
            p = b.op("Reshape", [p, b.ints([0, Int64(P), Int64(C * ph * pw)])])
            let w = try tensor("patch_embed.norm_pre.weight").reshaped([C * ph * pw])
            let bb = try tensor("patch_embed.norm_pre.bias").reshaped([C * ph * pw])
            p = b.op("LayerNormalization", [p, try b.weight("patch_embed.norm_pre.weight", w), try b.weight("patch_embed.norm_pre.bias", bb)],
                     attrs: [ONNXGraphBuilder.int("axis", -1), ONNXGraphBuilder.float("epsilon", Float(c.layerNormEps))])
            let k = try tensor("patch_embed.proj.weight").reshaped([D, C * ph * pw])
            x = b.op("MatMul", [p, try b.weight("patch_embed.proj.weight_t", transpose2D(k))])
            if let bias = tensors["patch_embed.proj.bias"] { x = b.op("Add", [x, try b.weight("patch_embed.proj.bias", bias)]) }
        } else {
            var inputs = [input, try b.weight("patch_embed.proj.weight", try tensor("patch_embed.proj.weight"))]
            if let bias = tensors["patch_embed.proj.bias"] { inputs.append(try b.weight("patch_embed.proj.bias", bias)) }
            x = b.op("Conv", inputs, attrs: [ONNXGraphBuilder.ints("kernel_shape", [ph, pw]), ONNXGraphBuilder.ints("strides", [ph, pw])])
            x = b.op("Reshape", [x, b.ints([0, Int64(D), Int64(P)])])
            x = b.op("Transpose", [x], attrs: [ONNXGraphBuilder.ints("perm", [0, 2, 1])])
        }
        if c.patchNormPost { x = try layerNorm(x, "patch_embed.norm") }
        return x
    }

    /// [prefix tokens, patches] with the position embedding added where the model adds it. The prefix rows
    /// (with their position rows, summed in float32 as the runtime does) are one constant expanded to the batch.
    mutating func tokens(_ patches: String) throws -> String {
        let D = c.embedDim, K = c.numPrefixTokens, P = c.numPatches
        let pos = try tensor("pos_embed").floats()
        var prefix: [Float] = []
        if c.classToken { prefix += try tensor("cls_token").floats() }
        if c.distilled { prefix += try tensor("dist_token").floats() }
        let lead = prefix.count / D
        var posPatchStart = 0
        if !c.noEmbedClass {
            let covered = c.registersAfterPosEmbed ? lead : K
            if c.registerTokens > 0 && !c.registersAfterPosEmbed {
                prefix += try tensor("reg_token").floats()
            }
            for i in 0..<(covered * D) { prefix[i] += pos[i] }
            posPatchStart = covered
            if c.registersAfterPosEmbed { prefix += try tensor("reg_token").floats() }
        } else if c.registerTokens > 0 {
            prefix += try tensor("reg_token").floats()
        }
        let patchPos = Array(pos[(posPatchStart * D)..<((posPatchStart + P) * D)])
        var x = b.op("Add", [patches, try b.weight("pos_embed_patches", try Tensor(shape: [1, P, D], float32: patchPos))])
        guard K > 0 else { return x }
        let prefixConst = try b.weight("prefix_tokens", try Tensor(shape: [1, K, D], float32: prefix))
        let batch = b.op("Slice", [b.op("Shape", ["pixel_values"]), b.ints([0]), b.ints([1])])
        let shape = b.op("Concat", [batch, b.ints([Int64(K), Int64(D)])], attrs: [ONNXGraphBuilder.int("axis", 0)])
        let expanded = b.op("Expand", [prefixConst, shape])
        x = b.op("Concat", [expanded, x], attrs: [ONNXGraphBuilder.int("axis", 1)])
        return x
    }

    /// Multi-head attention of `q` [Nq, H, Lq, hd] against `k`, `v` [N, H, L, hd] → [N, H, Lq, hd].
    mutating func attend(q: String, k: String, v: String) -> String {
        let scale = Float(1 / Double(c.headDim).squareRoot())
        let kt = b.op("Transpose", [k], attrs: [ONNXGraphBuilder.ints("perm", [0, 1, 3, 2])])
        let s = b.op("MatMul", [b.op("Mul", [q, b.scalar(scale)]), kt])
        let p = b.op("Softmax", [s], attrs: [ONNXGraphBuilder.int("axis", -1)])
        return b.op("MatMul", [p, v])
    }

    mutating func block(_ x: String, _ i: Int) throws -> String {
        let p = "blocks.\(i).", L = c.sequenceLength, H = c.numHeads, hd = c.headDim, A = c.attnDim
        var h = try layerNorm(x, p + "norm1")
        var qkv = try linear(h, p + "attn.qkv")
        qkv = b.op("Reshape", [qkv, b.ints([0, Int64(L), 3, Int64(H), Int64(hd)])])
        qkv = b.op("Transpose", [qkv], attrs: [ONNXGraphBuilder.ints("perm", [2, 0, 3, 1, 4])])
        let parts = (0..<3).map { j in b.op("Gather", [qkv, b.ints([Int64(j)])], attrs: [ONNXGraphBuilder.int("axis", 0)]) }
        let sq = parts.map { b.op("Squeeze", [$0, b.ints([0])]) }
        var o = attend(q: sq[0], k: sq[1], v: sq[2])
        o = b.op("Transpose", [o], attrs: [ONNXGraphBuilder.ints("perm", [0, 2, 1, 3])])
        o = b.op("Reshape", [o, b.ints([0, Int64(L), Int64(A)])])
        var a = try linear(o, p + "attn.proj")
        if c.layerScale { a = b.op("Mul", [a, try b.weight(p + "ls1.gamma", try tensor(p + "ls1.gamma"))]) }
        var y = b.op("Add", [x, a])
        h = try layerNorm(y, p + "norm2")
        var m = try mlp(h, p + "mlp", hidden: c.mlpHiddenDim)
        if c.layerScale { m = b.op("Mul", [m, try b.weight(p + "ls2.gamma", try tensor(p + "ls2.gamma"))]) }
        y = b.op("Add", [y, m])
        return y
    }

    /// A token row [N, D] of x [N, L, D].
    mutating func token(_ x: String, _ i: Int) -> String {
        b.op("Gather", [x, b.ints([Int64(i)])], attrs: [ONNXGraphBuilder.int("axis", 1)]).squeezed(&b, axis: 1)
    }

    mutating func head(_ x: String) throws -> String {
        let K = c.numPrefixTokens, L = c.sequenceLength
        var feats: [String]
        if c.distilled {
            feats = [token(x, 0), token(x, 1)]
            if c.finalNorm { feats = try feats.map { try layerNorm($0, "norm") } }
        } else {
            switch c.globalPool {
            case .token:
                var t = token(x, 0)
                if c.finalNorm { t = try layerNorm(t, "norm") }
                feats = [t]
            case .avg:
                var p = b.op("Slice", [x, b.ints([Int64(K)]), b.ints([Int64(L)]), b.ints([1])])
                if c.finalNorm { p = try layerNorm(p, "norm") }
                feats = [b.op("ReduceMean", [p], attrs: [ONNXGraphBuilder.ints("axes", [1]), ONNXGraphBuilder.int("keepdims", 0)])]
            case .tokenAvg:
                // [norm(x)[:, 0], mean(norm(x)[:, K:])] (registers excluded), 2·D features.
                var all = x
                if c.finalNorm { all = try layerNorm(all, "norm") }
                let cls = token(all, 0)
                let p = b.op("Slice", [all, b.ints([Int64(K)]), b.ints([Int64(L)]), b.ints([1])])
                let mean = b.op("ReduceMean", [p], attrs: [ONNXGraphBuilder.ints("axes", [1]), ONNXGraphBuilder.int("keepdims", 0)])
                feats = [b.op("Concat", [cls, mean], attrs: [ONNXGraphBuilder.int("axis", 1)])]
            case .map:
                var p = K > 0 ? b.op("Slice", [x, b.ints([Int64(K)]), b.ints([Int64(L)]), b.ints([1])]) : x
                if c.finalNorm { p = try layerNorm(p, "norm") }
                feats = [try attentionPool(p)]
            }
            if c.fcNorm { feats = try feats.map { try layerNorm($0, "fc_norm") } }
        }
        if c.preLogitsDim != nil {
            feats = try feats.map { f in
                let y = try linear(f, "pre_logits.fc")
                return c.preLogitsActivation == .gelu ? geluExact(y) : b.op("Tanh", [y])
            }
        }
        if c.numClasses > 0 {
            var out = try linear(feats[0], "head", bias: c.headBias)
            if c.distilled {
                let d = try linear(feats[1], "head_dist", bias: c.headBias)
                out = b.op("Mul", [b.op("Add", [out, d]), b.scalar(0.5)])
            }
            return out
        }
        if c.distilled { return b.op("Mul", [b.op("Add", [feats[0], feats[1]]), b.scalar(0.5)]) }
        return feats[0]
    }

    /// ½x(1 + erf(x/√2)), in the node order ONNX Runtime fuses into one Gelu (and BiasGelu with the Add before it):
    /// Div → Erf → Add → Mul(x) → Mul(½).
    mutating func geluExact(_ x: String) -> String {
        let e = b.op("Erf", [b.op("Div", [x, b.scalar(Float(2.0.squareRoot()))])])
        return b.op("Mul", [b.op("Mul", [x, b.op("Add", [e, b.scalar(1)])]), b.scalar(0.5)])
    }

    /// timm `AttentionPoolLatent` over normed patch tokens p [N, P, D] → [N, D].
    mutating func attentionPool(_ p: String) throws -> String {
        let D = c.embedDim, H = c.numHeads, hd = D / H, P = c.numPatches
        let latent = try b.weight("attn_pool.latent", try tensor("attn_pool.latent"))
        var q = try linear(latent, "attn_pool.q")  // [1, 1, D]
        q = b.op("Reshape", [q, b.ints([1, 1, Int64(H), Int64(hd)])])
        q = b.op("Transpose", [q], attrs: [ONNXGraphBuilder.ints("perm", [0, 2, 1, 3])])  // [1, H, 1, hd]
        var kv = try linear(p, "attn_pool.kv")
        kv = b.op("Reshape", [kv, b.ints([0, Int64(P), 2, Int64(H), Int64(hd)])])
        kv = b.op("Transpose", [kv], attrs: [ONNXGraphBuilder.ints("perm", [2, 0, 3, 1, 4])])
        let k = b.op("Gather", [kv, b.ints([0])], attrs: [ONNXGraphBuilder.int("axis", 0)]).squeezed(&b, axis: 0)
        let v = b.op("Gather", [kv, b.ints([1])], attrs: [ONNXGraphBuilder.int("axis", 0)]).squeezed(&b, axis: 0)
        var o = attend(q: q, k: k, v: v)  // [N, H, 1, hd]
        o = b.op("Transpose", [o], attrs: [ONNXGraphBuilder.ints("perm", [0, 2, 1, 3])])
        o = b.op("Reshape", [o, b.ints([0, Int64(D)])])
        let y = try linear(o, "attn_pool.proj")
        let m = try mlp(try layerNorm(y, "attn_pool.norm"), "attn_pool.mlp", hidden: c.poolMlpHiddenDim ?? c.mlpHiddenDim)
        return b.op("Add", [y, m])
    }
}

extension String {
    /// `Squeeze(self, axes=[axis])`.
    func squeezed(_ b: inout ONNXGraphBuilder, axis: Int) -> String {
        b.op("Squeeze", [self, b.ints([Int64(axis)])])
    }
}

/// A 2-D tensor transposed (any dtype: elements are moved whole, by their byte width).
func transpose2D(_ t: Tensor) throws -> Tensor {
    let (r, cols) = (t.shape[0], t.shape.count > 1 ? t.shape[1] : 1)
    func move<T>(_: T.Type) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: t.byteCount)
        t.withUnsafeBytes { raw in
            out.withUnsafeMutableBytes { dst in
                let s = raw.bindMemory(to: T.self), d = dst.bindMemory(to: T.self)
                for i in 0..<r { for j in 0..<cols { d[j * r + i] = s[i * cols + j] } }
            }
        }
        return out
    }
    let bytes: [UInt8]
    switch t.dtype.byteSize {
    case 2: bytes = move(UInt16.self)
    case 8: bytes = move(UInt64.self)
    default: bytes = move(UInt32.self)
    }
    return try Tensor(dtype: t.dtype, shape: [cols, r], bytes: bytes)
}
