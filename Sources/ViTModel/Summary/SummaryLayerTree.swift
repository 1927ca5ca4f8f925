/// Builds the rows of a summary in the order torchinfo's forward hooks see timm's modules.
///
/// torchinfo numbers modules per depth over the whole model (`1-1`, `1-2`, … then `2-1`, …) in call
/// order, including `Identity` and `Dropout` modules. Those get no row here but still consume a number
/// (`skip`), so the labels match torchinfo's for the same timm model. The slot sequence is timm 1.0.31's
/// `VisionTransformer.forward` with fused attention (the default; `attn_drop` is then never called).
struct SummaryLayerTree {
    private struct Node {
        var name: String
        var type: String
        var depth: Int
        var index: Int
        var shape: [Int]
        var own: Int
        var isLeaf: Bool
    }

    private var nodes: [Node] = []
    private var counters: [Int] = []

    private mutating func next(_ depth: Int) -> Int {
        while counters.count <= depth { counters.append(0) }
        counters[depth] += 1
        return counters[depth]
    }

    /// Consumes a number at `depth` for a module that gets no row (Identity, Dropout, a repeated call).
    mutating func skip(_ depth: Int) { _ = next(depth) }

    /// Adds a module row.
    mutating func add(_ name: String, _ type: String, depth: Int, shape: [Int], own: Int = 0, leaf: Bool = true) {
        nodes.append(Node(name: name, type: type, depth: depth, index: next(depth), shape: shape, own: own,
                          isLeaf: leaf))
    }

    /// Adds a module row when `present`, otherwise the Identity that timm puts in its place.
    mutating func add(if present: Bool, _ name: String, _ type: String, depth: Int, shape: [Int], own: Int) {
        if present { add(name, type, depth: depth, shape: shape, own: own) } else { skip(depth) }
    }

    /// The rows with recursive parameter counts (the root keeps only its own, as torchinfo prints it).
    func layers() -> [SummaryLayer] {
        var total = nodes.map(\.own)
        // A row's subtree is the run of rows after it with a greater depth; scan forward keeping the
        // open ancestors on a stack and credit each row's own parameters to all of them.
        var stack: [Int] = []
        for (i, node) in nodes.enumerated() {
            while let top = stack.last, nodes[top].depth >= node.depth { stack.removeLast() }
            for a in stack { total[a] += node.own }
            stack.append(i)
        }
        return nodes.enumerated().map { i, n in
            SummaryLayer(name: n.name, type: n.type, depth: n.depth, index: n.index, outputShape: n.shape,
                         params: n.depth == 0 ? n.own : total[i], ownParams: n.own, isLeaf: n.isLeaf)
        }
    }
}

extension SummaryLayerTree {
    /// The rows of timm's `VisionTransformer` (or `VisionTransformerDistilled`) for `config` run on
    /// `batch` images of `imageSize` (h, w).
    static func build(config c: ViTConfig, batch b: Int, imageSize: [Int]) -> [SummaryLayer] {
        var t = SummaryLayerTree()
        let d = c.embedDim, a = c.attnDim, m = c.mlpHiddenDim
        let grid = [imageSize[0] / c.patchSize[0], imageSize[1] / c.patchSize[1]]
        let g = grid[0] * grid[1]
        let n = c.numPrefixTokens + g
        let patchVector = c.patchVectorLength
        let tokens = [b, n, d]
        let feature = c.featureDim
        let fc1 = c.fc1OutDim
        let actType: String
        switch c.activation {
        case .gelu: actType = "GELU"
        case .geluTanh: actType = "GELUTanh"
        case .quickGelu: actType = "QuickGELU"
        case .swiglu: actType = "SwiGLU"
        case .relu: actType = "ReLU"
        }
        let rootOwn = ((c.classToken ? 1 : 0) + c.registerTokens + (c.distilled ? 1 : 0) + c.posEmbedTokens) * d
        let output = c.numClasses > 0 ? [b, c.numClasses] : [b, feature]

        t.add("", c.distilled ? "VisionTransformerDistilled" : "VisionTransformer", depth: 0, shape: output,
              own: rootOwn, leaf: false)

        t.add("patch_embed", "PatchEmbed", depth: 1, shape: [b, g, d], leaf: false)
        if c.patchNormPre {
            // Not in timm: vit-pytorch's LayerNorm over each flattened patch, before the projection.
            t.add("patch_embed.norm_pre", "LayerNorm", depth: 2, shape: [b, g, patchVector], own: 2 * patchVector)
        }
        t.add("patch_embed.proj", "Conv2d", depth: 2, shape: [b, d, grid[0], grid[1]],
              own: d * patchVector + (c.patchBias ? d : 0))
        t.add(if: c.patchNormPost, "patch_embed.norm", "LayerNorm", depth: 2, shape: [b, g, d], own: 2 * d)
        t.skip(1)  // pos_drop
        t.skip(1)  // patch_drop
        t.add(if: c.normPre, "norm_pre", "LayerNorm", depth: 1, shape: tokens, own: 2 * d)

        t.add("blocks", "Sequential", depth: 1, shape: tokens, leaf: false)
        for i in 0..<c.depth {
            let p = "blocks.\(i)."
            t.add("blocks.\(i)", "Block", depth: 2, shape: tokens, leaf: false)
            t.add(p + "norm1", "LayerNorm", depth: 3, shape: tokens, own: 2 * d)
            t.add(p + "attn", "Attention", depth: 3, shape: tokens, leaf: false)
            t.add(p + "attn.qkv", "Linear", depth: 4, shape: [b, n, 3 * a], own: d * 3 * a + (c.qkvBias ? 3 * a : 0))
            t.skip(4)  // q_norm
            t.skip(4)  // k_norm
            t.skip(4)  // norm
            t.add(p + "attn.proj", "Linear", depth: 4, shape: tokens, own: a * d + d)
            t.skip(4)  // proj_drop
            t.add(if: c.layerScale, p + "ls1", "LayerScale", depth: 3, shape: tokens, own: d)
            t.skip(3)  // drop_path1
            t.add(p + "norm2", "LayerNorm", depth: 3, shape: tokens, own: 2 * d)
            t.add(p + "mlp", "Mlp", depth: 3, shape: tokens, leaf: false)
            t.add(p + "mlp.fc1", "Linear", depth: 4, shape: [b, n, fc1], own: d * fc1 + fc1)
            t.add(p + "mlp.act", actType, depth: 4, shape: [b, n, m])
            t.skip(4)  // drop1
            t.skip(4)  // norm
            t.add(p + "mlp.fc2", "Linear", depth: 4, shape: tokens, own: m * d + d)
            t.skip(4)  // drop2
            t.add(if: c.layerScale, p + "ls2", "LayerScale", depth: 3, shape: tokens, own: d)
            t.skip(3)  // drop_path2
        }
        t.add(if: c.finalNorm, "norm", "LayerNorm", depth: 1, shape: tokens, own: 2 * d)
        if c.globalPool == .map, let ph = c.poolMlpHiddenDim {
            // timm AttentionPoolLatent (SigLIP's MAP head): the latent is its own parameter.
            t.add("attn_pool", "AttentionPoolLatent", depth: 1, shape: [b, d], own: d, leaf: false)
            t.add("attn_pool.q", "Linear", depth: 2, shape: [b, 1, d], own: d * d + d)
            t.add("attn_pool.kv", "Linear", depth: 2, shape: [b, g, 2 * d], own: 2 * d * d + 2 * d)
            t.add("attn_pool.proj", "Linear", depth: 2, shape: [b, 1, d], own: d * d + d)
            t.add("attn_pool.norm", "LayerNorm", depth: 2, shape: [b, 1, d], own: 2 * d)
            t.add("attn_pool.mlp", "Mlp", depth: 2, shape: [b, 1, d], leaf: false)
            t.add("attn_pool.mlp.fc1", "Linear", depth: 3, shape: [b, 1, ph], own: d * ph + ph)
            t.add("attn_pool.mlp.act", actType, depth: 3, shape: [b, 1, ph])
            t.add("attn_pool.mlp.fc2", "Linear", depth: 3, shape: [b, 1, d], own: ph * d + d)
        }

        // Head. timm's VisionTransformerDistilled.forward_head never calls fc_norm and calls head_drop
        // once per token; the plain model calls fc_norm, then head_drop, then head.
        if c.distilled {
            if c.fcNorm { t.add("fc_norm", "LayerNorm", depth: 1, shape: [b, d], own: 2 * d) }
        } else {
            t.add(if: c.fcNorm, "fc_norm", "LayerNorm", depth: 1, shape: [b, d], own: 2 * d)
        }
        if let pre = c.preLogitsDim {
            // Not in timm 1.0.31: the original ViT's representation layer, as timm < 0.6 had it.
            t.add("pre_logits", "Sequential", depth: 1, shape: [b, pre], leaf: false)
            t.add("pre_logits.fc", "Linear", depth: 2, shape: [b, pre], own: d * pre + pre)
            t.add("pre_logits.act", c.preLogitsActivation == .gelu ? "GELU" : "Tanh", depth: 2, shape: [b, pre])
        }
        t.skip(1)  // head_drop
        if c.distilled { t.skip(1) }  // head_drop again, for the distillation token
        let head = feature * c.numClasses + (c.headBias ? c.numClasses : 0)
        t.add(if: c.numClasses > 0, "head", "Linear", depth: 1, shape: [b, c.numClasses], own: head)
        if c.distilled {
            t.add(if: c.numClasses > 0, "head_dist", "Linear", depth: 1, shape: [b, c.numClasses], own: head)
        }
        return t.layers()
    }
}
