import ViTModel
import ViTTensor

/// Collects the attention probabilities of every block during one forward pass (`attentionProbabilities`):
/// block by block, [batch, heads, T, T] floats each. Work items of one block write disjoint rows.
final class AttentionProbe: @unchecked Sendable {
    let batch: Int, heads: Int, tokens: Int
    private(set) var layers: [UnsafeMutablePointer<Float>] = []

    init(batch: Int, heads: Int, tokens: Int) {
        self.batch = batch
        self.heads = heads
        self.tokens = tokens
    }

    deinit { for l in layers { l.deallocate() } }

    /// A new block begins (rows it does not compute, e.g. pruned queries, stay zero).
    func startLayer(queries: Int) {
        let n = batch * heads * tokens * tokens
        let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
        p.initialize(repeating: 0, count: n)
        layers.append(p)
    }

    /// Rows `rows` of (image, head): the softmax numerators (rows × T) times each row's 1/Σ.
    func record(image b: Int, head h: Int, rows: Range<Int>, numerators s: UnsafePointer<Float>, inverseSums inv: UnsafePointer<Float>) {
        guard let layer = layers.last else { return }
        let T = tokens
        let base = layer + ((b * heads + h) * T) * T
        for (i, r) in rows.enumerated() {
            let scale = inv[i]
            for j in 0..<T { base[r * T + j] = s[i * T + j] * scale }
        }
    }
}

extension VisionTransformer {
    /// The attention probabilities of every block for `input` (the forward pass run without pruning, its output
    /// discarded): one Float32 tensor [N, heads, T, T] per block, T = class/distillation/register tokens + patches,
    /// in the model's token order. A diagnostic path for pictures; `forward` does not pay for it.
    /// - Throws: as `forward`.
    public func attentionProbabilities(_ input: Tensor) throws -> [Tensor] {
        let s = input.shape
        let n = s.first ?? 0
        guard s.count == 4, s[1] == dims.channels, s[2] == dims.height, s[3] == dims.width else {
            throw ViTModelError.inputShape(expected: inputShape(batch: s.count == 4 ? n : 1), found: s)
        }
        guard n > 0 else { throw ViTModelError.emptyBatch }
        let ws = ViTWorkspace()
        ws.reserve(dims, batch: n, threads: threads)
        input.copyFloat32(into: UnsafeMutableBufferPointer(start: ws.image, count: n * dims.imageLength))
        let probe = AttentionProbe(batch: n, heads: dims.heads, tokens: dims.tokens)
        ws.attentionProbe = probe
        var tokensOut = [Float](repeating: 0, count: n * dims.tokens * dims.embed)
        tokensOut.withUnsafeMutableBufferPointer { o in
            run(images: ws.image, batch: n, workspace: ws, output: o.baseAddress!,
                tokens: TokenRequest(blocks: weights.layout.blocks.count, norm: false))
        }
        ws.attentionProbe = nil
        let count = n * dims.heads * dims.tokens * dims.tokens
        return try probe.layers.map {
            try Tensor(shape: [n, dims.heads, dims.tokens, dims.tokens], float32: Array(UnsafeBufferPointer(start: $0, count: count)))
        }
    }

    /// Tokens before the patches (class, distillation, registers), in the model's token order.
    public var prefixTokens: Int { dims.prefix }
    /// The patch grid [rows, columns].
    public var patchGrid: [Int] { [dims.gridH, dims.gridW] }
}
