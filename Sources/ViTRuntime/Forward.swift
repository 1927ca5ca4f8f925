import Foundation
import ViTModel
/// The forward pass, step by step as timm 1.0.31 `VisionTransformer.forward` (eval, no dropout):
/// patch embedding → prefix tokens and position embedding → norm_pre → blocks → norm → pool →
/// fc_norm → pre_logits → head.
///
/// The blocks run on ViTKit's kernels over packed weights (`packedBlocks`, PackedForward.swift) or, where this
/// CPU has none, on the portable path (`portableBlocks`, PortableForward.swift); this file holds what both
/// share: patch embedding, tokens, the pruned last block, pooling and head. With token pooling, the last block
/// computes attention, projection and MLP only for the tokens the head reads (every token still serves as key
/// and value): the other rows cannot reach the output.
extension VisionTransformer {
    /// Row-indexed buffers one block works on: the residual stream and its scratch rows.
    struct Tokens {
        /// Residual stream, rows × D.
        let x: UnsafeMutablePointer<Float>
        /// Attention output, rows × A.
        let attn: UnsafeMutablePointer<Float>
        /// Projection / second MLP layer output, rows × D.
        let h: UnsafeMutablePointer<Float>
        /// MLP hidden activations, rows × M.
        let mlp: UnsafeMutablePointer<Float>
        /// Fused q, k, v, rows × 3A.
        let qkv: UnsafeMutablePointer<Float>
        /// SwiGLU's packed fc1 output, rows × 2M (unused for other activations).
        let glu: UnsafeMutablePointer<Float>
        let rows: Int
        /// Holds the oneDNN matmul primitives (`VITKIT_GEMM=dnnl-matmul` only).
        let workspace: ViTWorkspace
    }

    /// A request for the tokens of a layer instead of the head's output.
    struct TokenRequest {
        /// Blocks to run (1 ... depth).
        let blocks: Int
        /// Whether the final `norm` is applied to the tokens.
        let norm: Bool
    }

    /// Runs `batch` checked NCHW images through the network into `output` (batch × outputWidth).
    /// With `tokens`, runs only the first `tokens.blocks` blocks and writes every token (batch × T × D) instead.
    func run(images: UnsafePointer<Float>, batch n: Int, workspace ws: ViTWorkspace,
             output: UnsafeMutablePointer<Float>, tokens request: TokenRequest? = nil) {
        let L = weights.layout
        let d = dims
        let eps = Float(config.layerNormEps)
        let par = ws.pool(threads: threads)
        GEMM.singleThreaded()
        let rows = n * d.tokens
        let chunks = rowChunks(rows)
        let all = Tokens(x: ws.x, attn: ws.attn, h: ws.h, mlp: ws.mlp, qkv: ws.qkv, glu: ws.glu, rows: rows, workspace: ws)

        embedPatches(images, batch: n, workspace: ws, eps: eps, par: par)
        assembleTokens(batch: n, embed: ws.embed, into: ws.x)
        if let np = L.normPre {
            par.forChunks(chunks) { c in
                let r = Parallel.part(c, of: chunks, count: rows)
                norm(np, ws.x + r.lowerBound * d.embed, rows: r.count, into: ws.x + r.lowerBound * d.embed, eps: eps)
            }
        }

        // timm's distilled head reads tokens 0 and 1 whatever `global_pool` says.
        let pruneLast = request == nil && (config.globalPool == .token || d.distilled)
        let blocks = request.map { Array(L.blocks.prefix($0.blocks)) } ?? L.blocks
        let fullBlocks = pruneLast ? blocks.count - 1 : blocks.count
        if packed != nil {
            packedBlocks(blocks, full: fullBlocks, all, batch: n, workspace: ws, eps: eps, par: par)
        } else {
            portableBlocks(blocks, full: fullBlocks, all, batch: n, pruneLast: pruneLast, workspace: ws, eps: eps,
                           par: par)
        }

        var final = all
        if pruneLast, let last = blocks.last {
            // Only the class (and distillation) token rows go on: gather them, compactly, behind the
            // attention of their queries.
            let used = d.distilled ? 2 : 1
            anyAttention(batch: n, queries: used, workspace: ws, par: par)
            for b in 0..<n {
                (ws.compact + b * used * d.embed).update(from: ws.x + b * d.tokens * d.embed, count: used * d.embed)
            }
            final = Tokens(x: ws.compact, attn: ws.attn, h: ws.h, mlp: ws.mlp, qkv: ws.qkv, glu: ws.glu, rows: n * used,
                           workspace: ws)
            if packed != nil {
                packedBlockTail(last, final, workspace: ws, eps: eps, .columns(par))
            } else {
                blockTail(last, final, workspace: ws, eps: eps, par: par)
            }
        }
        if let request {
            if request.norm, let nm = L.norm { norm(nm, ws.x, rows: rows, into: ws.x, eps: eps) }
            output.update(from: ws.x, count: rows * d.embed)
            return
        }
        head(batch: n, tokens: final, workspace: ws, eps: eps, output: output)
    }

    // MARK: pieces

    /// Chunks for a loop over `rows` rows: a whole number per thread (up to `Parallel.chunksPerThread`, so a
    /// delayed thread sheds work), each of at least `minimum` rows (default `minimumChunkRows`) where possible.
    func rowChunks(_ rows: Int, atLeast minimum: Int? = nil) -> Int {
        threads * max(1, min(Parallel.chunksPerThread, rows / (threads * (minimum ?? minimumChunkRows))))
    }

    /// Patch embedding by row chunks: im2col into rows of C·P·P in (c, py, px) order, the optional
    /// LayerNorm over raw patches, one product with the conv kernel seen as a (D, C·P·P) matrix, and the
    /// optional LayerNorm after it.
    private func embedPatches(_ img: UnsafePointer<Float>, batch n: Int, workspace ws: ViTWorkspace, eps: Float,
                              par: WorkerPool) {
        let L = weights.layout, d = dims
        let rows = n * d.patches
        let chunks = rowChunks(rows)
        par.forChunks(chunks) { c in
            let r = Parallel.part(c, of: chunks, count: rows)
            for row in r {
                let b = row / d.patches, g = row % d.patches
                let gy = g / d.gridW, gx = g % d.gridW
                let dst = ws.patches + row * d.patchLength
                for ch in 0..<d.channels {
                    for py in 0..<d.patchH {
                        let src = img + ((b * d.channels + ch) * d.height + gy * d.patchH + py) * d.width + gx * d.patchW
                        (dst + (ch * d.patchH + py) * d.patchW).update(from: src, count: d.patchW)
                    }
                }
            }
            let p = ws.patches + r.lowerBound * d.patchLength
            if let pn = L.patchNormPre {
                Kernels.layerNorm(p, ldx: d.patchLength, p, ldy: d.patchLength, rows: r.count, n: d.patchLength,
                                  weight: pn.weight, bias: pn.bias, eps: eps)
            }
            let e = ws.embed + r.lowerBound * d.embed
            patchLinear(p, rows: r.count, into: e)
            if let pn = L.patchNorm { norm(pn, e, rows: r.count, into: e, eps: eps) }
        }
    }

    /// x[b] = [cls, dist, reg…, patches] with pos_embed added to every row, or (no_embed_class) to the
    /// patch rows only, before they are joined by the prefix tokens, or (registers after pos_embed) to
    /// every row but the registers'.
    private func assembleTokens(batch n: Int, embed: UnsafePointer<Float>, into x: UnsafeMutablePointer<Float>) {
        let L = weights.layout, d = dims, D = d.embed
        for b in 0..<n {
            let xb = x + b * d.tokens * D
            var t = 0
            if let cls = L.clsToken { (xb + t * D).update(from: cls, count: D); t += 1 }
            if let dist = L.distToken { (xb + t * D).update(from: dist, count: D); t += 1 }
            if let reg = L.regTokens {
                (xb + t * D).update(from: reg, count: config.registerTokens * D); t += config.registerTokens
            }
            (xb + t * D).update(from: embed + b * d.patches * D, count: d.patches * D)
            if config.noEmbedClass {
                Kernels.addResidual(xb + d.prefix * D, L.posEmbed, rows: d.patches, n: D, gamma: nil)
            } else if config.registersAfterPosEmbed {
                // pos rows: [cls, dist…, patches]; the registers sit between and get none.
                let lead = d.prefix - config.registerTokens
                Kernels.addResidual(xb, L.posEmbed, rows: lead, n: D, gamma: nil)
                Kernels.addResidual(xb + d.prefix * D, L.posEmbed + lead * D, rows: d.patches, n: D, gamma: nil)
            } else {
                Kernels.addResidual(xb, L.posEmbed, rows: d.tokens, n: D, gamma: nil)
            }
        }
    }

    /// Attention on the packed kernels, or (no kernels, or an attention probe recording every row) the
    /// portable path.
    func anyAttention(batch n: Int, queries: Int, workspace ws: ViTWorkspace, par: WorkerPool) {
        if packed != nil, ws.attentionProbe == nil {
            packedAttention(batch: n, queries: queries, workspace: ws, par: par)
        } else {
            attention(batch: n, queries: queries, workspace: ws, par: par)
        }
    }

    /// Final norm, pooling, fc_norm, pre-logits and head(s) into `output`, on the calling thread (a few
    /// rows per image). `t` holds every token (T per image), or only the used ones after pruning.
    private func head(batch n: Int, tokens t: Tokens, workspace ws: ViTWorkspace, eps: Float,
                      output: UnsafeMutablePointer<Float>) {
        let L = weights.layout, d = dims, D = d.embed
        let perImage = t.rows / n
        let feat = ws.features            // n rows (and n more: the distillation token's)
        let featDist = ws.features + n * D
        for b in 0..<n {
            let xb = t.x + b * perImage * D
            switch d.distilled ? .token : config.globalPool {
            case .token:
                // LayerNorm is per token, so norming only the tokens read is exact.
                let used = d.distilled ? 2 : 1
                if let nm = L.norm { norm(nm, xb, rows: used, into: xb, eps: eps) }
                (feat + b * D).update(from: xb, count: D)
                if d.distilled { (featDist + b * D).update(from: xb + D, count: D) }
            case .avg:
                let patches = xb + d.prefix * D
                if let nm = L.norm { norm(nm, patches, rows: d.patches, into: patches, eps: eps) }
                Kernels.meanRows(patches, rows: d.patches, n: D, into: feat + b * D)
            case .tokenAvg:
                // concat(norm(x)[0], mean(norm(x)[prefix…])) as HF Dinov2ForImageClassification.
                if let nm = L.norm { norm(nm, xb, rows: perImage, into: xb, eps: eps) }
                let f = feat + b * 2 * D
                f.update(from: xb, count: D)
                Kernels.meanRows(xb + d.prefix * D, rows: d.patches, n: D, into: f + D)
            case .map:
                let patches = xb + d.prefix * D
                if let nm = L.norm { norm(nm, patches, rows: d.patches, into: patches, eps: eps) }
                if let ap = L.attnPool { attentionPool(ap, patches, into: feat + b * D, eps: eps) }
            }
        }
        // timm's distilled head reads the two tokens directly and applies no fc_norm.
        if let fn = L.fcNorm, !d.distilled { norm(fn, feat, rows: n, into: feat, eps: eps) }
        let streams = d.distilled ? 2 : 1
        var vectors = feat
        if let pl = L.preLogits {
            // Both token streams sit back to back in `features`, so one product covers them.
            linear(pl, feat, rows: streams * n, columns: 0..<pl.outDim, into: ws.preLogits)
            let count = streams * n * d.features
            switch config.preLogitsActivation ?? .tanh {
            case .tanh: Kernels.tanh(ws.preLogits, count)
            case .gelu: Kernels.gelu(ws.preLogits, count)
            }
            vectors = ws.preLogits
        }
        let F = d.features
        if let hd = L.head {
            linear(hd, vectors, rows: n, columns: 0..<hd.outDim, into: output)
            if let hdd = L.headDist {
                linear(hdd, vectors + n * F, rows: n, columns: 0..<hdd.outDim, into: ws.logits)
                for i in 0..<(n * d.classes) { output[i] = (output[i] + ws.logits[i]) / 2 }
            }
        } else if d.distilled {
            for i in 0..<(n * F) { output[i] = (vectors[i] + vectors[n * F + i]) / 2 }
        } else {
            output.update(from: vectors, count: n * F)
        }
    }

    /// timm `AttentionPoolLatent` (SigLIP's MAP head) on one image's `dims.patches` normed patch tokens:
    /// y = proj(MHA(q(latent), k(x), v(x))); y += fc2(act(fc1(norm(y)))), into `out` (D values).
    private func attentionPool(_ ap: WeightLayout.AttentionPool, _ x: UnsafePointer<Float>,
                               into out: UnsafeMutablePointer<Float>, eps: Float) {
        let d = dims, D = d.embed, N = d.patches, H = d.heads, hd = D / H
        var q = [Float](repeating: 0, count: D), kv = [Float](repeating: 0, count: N * 2 * D)
        var o = [Float](repeating: 0, count: D), s = [Float](repeating: 0, count: N)
        let ph = ap.fc1.outDim
        var hidden = [Float](repeating: 0, count: ph), y = [Float](repeating: 0, count: D)
        linear(ap.q, ap.latent, rows: 1, columns: 0..<D, into: &q)
        linear(ap.kv, x, rows: N, columns: 0..<(2 * D), into: &kv)
        let scale = Float(1 / Double(hd).squareRoot())
        for h in 0..<H {
            for j in 0..<N {
                var acc: Float = 0
                for c in 0..<hd { acc += q[h * hd + c] * kv[j * 2 * D + h * hd + c] }
                s[j] = acc * scale
            }
            let m = s.max() ?? 0
            var sum: Float = 0
            for j in 0..<N { s[j] = expf(s[j] - m); sum += s[j] }
            for c in 0..<hd {
                var acc: Float = 0
                for j in 0..<N { acc += s[j] * kv[j * 2 * D + D + h * hd + c] }
                o[h * hd + c] = acc / sum
            }
        }
        linear(ap.proj, o, rows: 1, columns: 0..<D, into: out)
        norm(ap.norm, out, rows: 1, into: &y, eps: eps)
        linear(ap.fc1, y, rows: 1, columns: 0..<ph, into: &hidden)
        Kernels.activate(d.activation, &hidden, ph)
        linear(ap.fc2, hidden, rows: 1, columns: 0..<D, into: &y)
        for i in 0..<D { out[i] += y[i] }
    }

    /// y[:, columns] = x·W[columns]ᵀ + b[columns] for `rows` rows (x is rows × inDim, y rows × outDim).
    func linear(_ l: WeightLayout.Linear, _ x: UnsafePointer<Float>, rows: Int, columns: Range<Int>,
                into y: UnsafeMutablePointer<Float>) {
        guard rows > 0, !columns.isEmpty else { return }
        let (k, ldc) = (l.inDim, l.outDim)
        let c = y + columns.lowerBound
        if let b = l.bias { Kernels.fillRows(c, ldc: ldc, rows: rows, n: columns.count, bias: b + columns.lowerBound) }
        GEMM.gemm(m: rows, n: columns.count, k: k, a: x, lda: k, b: l.weight + columns.lowerBound * k, ldb: k,
                  bTransposed: true, beta: l.bias == nil ? 0 : 1, c: c, ldc: ldc)
    }

    /// LayerNorm of `rows` rows of the embedding width from `x` into `y` (may be the same rows).
    func norm(_ nm: WeightLayout.Norm, _ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>,
                      eps: Float) {
        let D = dims.embed
        Kernels.layerNorm(x, ldx: D, y, ldy: D, rows: rows, n: D, weight: nm.weight, bias: nm.bias, eps: eps)
    }


}
