import Foundation
import ViTModel
/// The forward pass, step by step as timm 1.0.31 `VisionTransformer.forward` (eval, no dropout):
/// patch embedding → prefix tokens and position embedding → norm_pre → blocks → norm → pool →
/// fc_norm → pre_logits → head.
///
/// Work is split between threads either by token rows (each thread carries its rows through LayerNorm,
/// the products and the element-wise steps; threads meet only around attention) or, when there are
/// too few rows for that, by the output columns of each product (each thread norms all rows into its
/// own buffer and computes a slice of the outputs). With token pooling, the last block computes
/// attention, projection and MLP only for the tokens the head reads (every token still serves as key
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
        let byRows: Bool
        switch split {
        case _ where packed != nil || useMatmuls: byRows = false  // packed and matmul products split columns
        case .rows: byRows = true
        case .columns: byRows = false
        // Columns while every thread still gets a wide slice of the narrowest product (measured faster
        // for ViT-Ti/S/B at batch 1 and 8 on 2 cores); rows on many threads.
        case .auto: byRows = d.embed / threads < 64 && rows >= 2 * minimumChunkRows * threads
        }
        // A whole number of chunks per thread (up to 4, so a delayed thread sheds work), each of at
        // least `minimumChunkRows` rows where possible.
        let rowChunks = threads * max(1, min(4, rows / (threads * minimumChunkRows)))
        let all = Tokens(x: ws.x, attn: ws.attn, h: ws.h, mlp: ws.mlp, qkv: ws.qkv, glu: ws.glu, rows: rows, workspace: ws)

        embedPatches(images, batch: n, workspace: ws, eps: eps, par: par)
        assembleTokens(batch: n, embed: ws.embed, into: ws.x)
        if let np = L.normPre {
            par.forChunks(rowChunks) { c in
                let r = Parallel.part(c, of: rowChunks, count: rows)
                norm(np, ws.x + r.lowerBound * d.embed, rows: r.count, into: ws.x + r.lowerBound * d.embed, eps: eps)
            }
        }

        // timm's distilled head reads tokens 0 and 1 whatever `global_pool` says.
        let pruneLast = request == nil && (config.globalPool == .token || d.distilled)
        let blocks = request.map { Array(L.blocks.prefix($0.blocks)) } ?? L.blocks
        let fullBlocks = pruneLast ? blocks.count - 1 : blocks.count
        if useMatmuls {
            ws.prepareMatmuls(rows: rows, threads: threads)
            if pruneLast { ws.prepareMatmuls(rows: n * (d.distilled ? 2 : 1), threads: threads) }
        }
        if packed != nil, packedRows(rows: rows, workspace: ws) {
            // Per row chunk: LN1 → qkv; then attention; then per row chunk the rest of the block and the next
            // block's LN1 → qkv.
            let chunks = threads * max(1, min(Parallel.chunksPerThread, rows / (threads * 8)))
            par.forChunks(chunks) { c in
                packedAttentionInput(blocks[0], all, workspace: ws, eps: eps, .rows(Parallel.part(c, of: chunks, count: rows)))
            }
            for i in 0..<fullBlocks {
                anyAttention(batch: n, queries: d.tokens, workspace: ws, par: par)
                let next = i + 1 < blocks.count ? blocks[i + 1] : nil
                par.forChunks(chunks) { c in
                    let r = PackedSchedule.rows(Parallel.part(c, of: chunks, count: rows))
                    packedBlockTail(blocks[i], all, workspace: ws, eps: eps, r)
                    if let next { packedAttentionInput(next, all, workspace: ws, eps: eps, r) }
                }
            }
        } else if packed != nil {
            for (i, blk) in blocks.enumerated() {
                packedAttentionInput(blk, all, workspace: ws, eps: eps, .columns(par))
                if i == fullBlocks { break }
                anyAttention(batch: n, queries: d.tokens, workspace: ws, par: par)
                packedBlockTail(blk, all, workspace: ws, eps: eps, .columns(par))
            }
        } else if byRows {
            // Per row chunk: LN1 → qkv; then attention; then per row chunk the rest of the block and
            // the next block's LN1 → qkv.
            par.forChunks(rowChunks) { c in
                let r = Parallel.part(c, of: rowChunks, count: rows)
                attentionInput(blocks[0], all, rows: r, columns: 0..<(3 * d.attn), ln: ws.h + r.lowerBound * d.embed, eps: eps)
            }
            for i in 0..<fullBlocks {
                let blk = blocks[i]
                attention(batch: n, queries: d.tokens, workspace: ws, par: par)
                let next = i + 1 < blocks.count ? blocks[i + 1] : nil
                par.forChunks(rowChunks) { c in
                    let r = Parallel.part(c, of: rowChunks, count: rows)
                    let ln = ws.h + r.lowerBound * d.embed
                    attentionOutput(blk, all, rows: r, columns: 0..<d.embed)
                    mlpInput(blk, all, rows: r, columns: 0..<d.hidden, ln: ln, eps: eps)
                    mlpOutput(blk, all, rows: r, columns: 0..<d.embed)
                    if let next {
                        attentionInput(next, all, rows: r, columns: 0..<(3 * d.attn), ln: ln, eps: eps)
                    }
                }
            }
        } else {
            for (i, blk) in blocks.enumerated() {
                columnSplit(par) { c, part in
                    attentionInput(blk, all, rows: 0..<rows, columns: part(3 * d.attn),
                                   ln: ws.ln + c * rows * d.embed, eps: eps)
                }
                if i == fullBlocks { break }
                attention(batch: n, queries: d.tokens, workspace: ws, par: par)
                blockTail(blk, all, workspace: ws, eps: eps, par: par)
            }
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

    // MARK: block steps on a tile (rows × output columns)

    /// Runs `body(chunk, part)` on one column chunk per thread; `part(width)` is the chunk's share of
    /// an output width.
    private func columnSplit(_ par: WorkerPool, _ body: (Int, (Int) -> Range<Int>) -> Void) {
        let chunks = threads
        par.forChunks(chunks) { c in
            body(c) { width in Parallel.part(c, of: chunks, count: width, alignment: 16) }
        }
    }

    /// Projection, residual, LN2, MLP, residual for all `t.rows` rows, split by output columns.
    private func blockTail(_ blk: WeightLayout.Block, _ t: Tokens, workspace ws: ViTWorkspace, eps: Float,
                           par: WorkerPool) {
        let d = dims
        columnSplit(par) { _, part in attentionOutput(blk, t, rows: 0..<t.rows, columns: part(d.embed)) }
        columnSplit(par) { c, part in
            mlpInput(blk, t, rows: 0..<t.rows, columns: part(d.hidden), ln: ws.ln + c * t.rows * d.embed, eps: eps)
        }
        columnSplit(par) { _, part in mlpOutput(blk, t, rows: 0..<t.rows, columns: part(d.embed)) }
    }

    /// ln = norm1(x[rows]); qkv[rows, columns] = ln·W_qkvᵀ + b.
    private func attentionInput(_ blk: WeightLayout.Block, _ t: Tokens, rows: Range<Int>, columns: Range<Int>,
                                ln: UnsafeMutablePointer<Float>, eps: Float) {
        let D = dims.embed
        norm(blk.norm1, t.x + rows.lowerBound * D, rows: rows.count, into: ln, eps: eps)
        blockLinear(blk.qkv, ln, rows: rows.count, columns: columns, into: t.qkv + rows.lowerBound * 3 * dims.attn, t)
    }

    /// h[rows, columns] = attn·W_projᵀ + b; x[rows, columns] += ls1 · h.
    private func attentionOutput(_ blk: WeightLayout.Block, _ t: Tokens, rows: Range<Int>, columns: Range<Int>) {
        let D = dims.embed
        let h = t.h + rows.lowerBound * D
        blockLinear(blk.proj, t.attn + rows.lowerBound * dims.attn, rows: rows.count, columns: columns, into: h, t)
        addResidual(t.x + rows.lowerBound * D, h, rows: rows.count, columns: columns, gamma: blk.ls1)
    }

    /// ln = norm2(x[rows]); mlp[rows, columns] = act(ln·W_fc1ᵀ + b), or for SwiGLU
    /// SiLU(gate[columns]) · value[columns] from the packed fc1 (gate = first M outputs, value = last M).
    private func mlpInput(_ blk: WeightLayout.Block, _ t: Tokens, rows: Range<Int>, columns: Range<Int>,
                          ln: UnsafeMutablePointer<Float>, eps: Float) {
        let D = dims.embed, M = dims.hidden
        norm(blk.norm2, t.x + rows.lowerBound * D, rows: rows.count, into: ln, eps: eps)
        let out = t.mlp + rows.lowerBound * M
        if dims.activation == .swiglu {
            let g = t.glu + rows.lowerBound * 2 * M
            linear(blk.fc1, ln, rows: rows.count, columns: columns, into: g)
            linear(blk.fc1, ln, rows: rows.count, columns: (M + columns.lowerBound)..<(M + columns.upperBound), into: g)
            for r in 0..<rows.count {
                let gr = g + r * 2 * M + columns.lowerBound
                Kernels.swiglu(gate: gr, value: gr + M, into: out + r * M + columns.lowerBound, columns.count)
            }
            return
        }
        blockLinear(blk.fc1, ln, rows: rows.count, columns: columns, into: out, t)
        if columns.count == M {
            Kernels.activate(dims.activation, out, rows.count * M)
        } else {
            for r in 0..<rows.count { Kernels.activate(dims.activation, out + r * M + columns.lowerBound, columns.count) }
        }
    }

    /// h[rows, columns] = mlp·W_fc2ᵀ + b; x[rows, columns] += ls2 · h.
    private func mlpOutput(_ blk: WeightLayout.Block, _ t: Tokens, rows: Range<Int>, columns: Range<Int>) {
        let D = dims.embed
        let h = t.h + rows.lowerBound * D
        blockLinear(blk.fc2, t.mlp + rows.lowerBound * dims.hidden, rows: rows.count, columns: columns, into: h, t)
        addResidual(t.x + rows.lowerBound * D, h, rows: rows.count, columns: columns, gamma: blk.ls2)
    }

    // MARK: pieces

    /// Patch embedding by row chunks: im2col into rows of C·P·P in (c, py, px) order, the optional
    /// LayerNorm over raw patches, one product with the conv kernel seen as a (D, C·P·P) matrix, and the
    /// optional LayerNorm after it.
    private func embedPatches(_ img: UnsafePointer<Float>, batch n: Int, workspace ws: ViTWorkspace, eps: Float,
                              par: WorkerPool) {
        let L = weights.layout, d = dims
        let rows = n * d.patches
        let chunks = threads * max(1, min(4, rows / (threads * minimumChunkRows)))
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

    /// Whether the packed blocks run by row chunks (`PackedSchedule.rows`): only when `split` says rows and the
    /// model's buffers allow it. `auto` takes columns: on 2 cores rows measured slower for ViT-S/16 and B/16
    /// (every row chunk streams all of a block's weights) and level for ViT-Ti/16 (docs/PERFORMANCE.md).
    private func packedRows(rows: Int, workspace ws: ViTWorkspace) -> Bool {
        guard rowsScheduleFits(ws), threads > 1, case .rows = split else { return false }
        return true
    }

    /// Attention on the packed kernels, or (no kernels, or an attention probe recording every row) the
    /// portable path.
    private func anyAttention(batch n: Int, queries: Int, workspace ws: ViTWorkspace, par: WorkerPool) {
        if packed != nil, ws.attentionProbe == nil {
            packedAttention(batch: n, queries: queries, workspace: ws, par: par)
        } else {
            attention(batch: n, queries: queries, workspace: ws, par: par)
        }
    }

    /// Multi-head self-attention of the first `queries` tokens of every image against all its tokens,
    /// for every (image, head) pair: softmax(q·kᵀ·hd^−½)·v (computed as (e^(s − max)·v)/Σ), written head-major (the layout `attn.proj`
    /// expects) into `attn` rows b·queries + i. With few pairs (batch 1, few heads) the query rows are
    /// cut into slices too, so every thread gets a share.
    private func attention(batch n: Int, queries: Int, workspace ws: ViTWorkspace, par: WorkerPool) {
        let d = dims, T = d.tokens, A = d.attn, hd = d.headDim, ld = 3 * A
        let scale = Float(1 / Double(hd).squareRoot())
        let pairs = n * d.heads
        let sliceRows = max(1, minimumChunkRows / 4)
        let slices = max(1, min((4 * threads + pairs - 1) / pairs, queries / sliceRows))
        let items = pairs * slices
        let chunks = min(items, 4 * threads)
        let qkv = ws.qkv, out = ws.attn, scores = ws.scores
        let probe = ws.attentionProbe
        probe?.startLayer(queries: queries)
        par.forChunks(chunks) { c in
            let s = scores + c * (T * T + T), inv = s + T * T
            for item in Parallel.part(c, of: chunks, count: items) {
                let pair = item / slices
                let b = pair / d.heads, h = pair % d.heads
                let rows = Parallel.part(item % slices, of: slices, count: queries)
                let base = qkv + b * T * ld + h * hd
                let q = base + rows.lowerBound * ld
                GEMM.gemmNT(m: rows.count, n: T, k: hd, alpha: scale, a: q, lda: ld, b: base + A, ldb: ld, beta: 0,
                            c: s, ldc: T)
                // Unnormalised probabilities times v, each row then scaled by its 1/Σ.
                Kernels.softmaxNumerators(s, rows: rows.count, n: T, ld: T, inverseSums: inv)
                probe?.record(image: b, head: h, rows: rows, numerators: s, inverseSums: inv)
                let o = out + (b * queries + rows.lowerBound) * A + h * hd
                GEMM.gemmNN(m: rows.count, n: hd, k: T, a: s, lda: T, b: base + 2 * A, ldb: ld, beta: 0, c: o, ldc: A)
                for r in 0..<rows.count { Kernels.scaleRow(o + r * A, hd, by: inv[r]) }
            }
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
        GEMM.gemmNT(m: rows, n: columns.count, k: k, a: x, lda: k, b: l.weight + columns.lowerBound * k, ldb: k,
                    beta: l.bias == nil ? 0 : 1, c: c, ldc: ldc)
    }

    /// Whether the portable path's block products run as oneDNN matmul primitives (`VITKIT_GEMM=dnnl-matmul`)
    /// rather than through `linear`.
    var useMatmuls: Bool { packed == nil && GEMM.backend == .dnnlMatmul }

    /// A block product through the workspace's matmul primitive for the slice (prepared for every
    /// column slice the forward pass makes); else `linear`.
    private func blockLinear(_ l: WeightLayout.Linear, _ x: UnsafePointer<Float>, rows: Int, columns: Range<Int>,
                             into y: UnsafeMutablePointer<Float>, _ t: Tokens) {
        if useMatmuls, rows > 0, !columns.isEmpty {
            let w = UnsafeRawPointer(l.weight + columns.lowerBound * l.inDim)
            if let mm = t.workspace.matmuls[.init(m: rows, n: columns.count, k: l.inDim, ldc: l.outDim,
                                                  column: columns.lowerBound, bias: l.bias != nil)],
               mm.run(x, weights: w, bias: l.bias.map { $0 + columns.lowerBound }, into: y + columns.lowerBound) {
                return
            }
        }
        linear(l, x, rows: rows, columns: columns, into: y)
    }

    /// LayerNorm of `rows` rows of the embedding width from `x` into `y` (may be the same rows).
    private func norm(_ nm: WeightLayout.Norm, _ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>,
                      eps: Float) {
        let D = dims.embed
        Kernels.layerNorm(x, ldx: D, y, ldy: D, rows: rows, n: D, weight: nm.weight, bias: nm.bias, eps: eps)
    }

    /// x[r, columns] += gamma[columns] · y[r, columns] (gamma 1 when nil) over `rows` rows of the embedding width.
    private func addResidual(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, rows: Int,
                             columns: Range<Int>, gamma: UnsafePointer<Float>?) {
        let D = dims.embed, o = columns.lowerBound
        if columns.count == D {
            Kernels.addResidual(x, y, rows: rows, n: D, gamma: gamma)
        } else {
            for r in 0..<rows {
                Kernels.addResidual(x + r * D + o, y + r * D + o, rows: 1, n: columns.count, gamma: gamma.map { $0 + o })
            }
        }
    }
}
