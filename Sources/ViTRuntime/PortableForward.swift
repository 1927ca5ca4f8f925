import ViTModel

/// The transformer blocks on the portable path (no ViTKit kernels for this CPU, or `VITKIT_KERNELS=off`): the
/// products through `GEMM` (oneDNN or OpenBLAS), the element-wise steps in Swift, attention as two products per
/// (image, head) with the scores written out. Work is split by token rows or by output columns (see `run`).
extension VisionTransformer {
    /// The first `full` of `blocks` whole, and the last block's LN1 → qkv when `full` < `blocks.count` (its rest
    /// runs on the pruned rows afterwards).
    func portableBlocks(_ blocks: [WeightLayout.Block], full fullBlocks: Int, _ all: Tokens, batch n: Int,
                        pruneLast: Bool, workspace ws: ViTWorkspace, eps: Float, par: WorkerPool) {
        let d = dims, rows = all.rows
        if useMatmuls {
            ws.prepareMatmuls(rows: rows, threads: threads)
            if pruneLast { ws.prepareMatmuls(rows: n * (d.distilled ? 2 : 1), threads: threads) }
        }
        let byRows: Bool
        switch split {
        case _ where useMatmuls: byRows = false  // matmul products are prepared per column slice
        case .rows: byRows = true
        case .columns: byRows = false
        // Columns while every thread still gets a wide slice of the narrowest product (measured faster
        // for ViT-Ti/S/B at batch 1 and 8 on 2 cores); rows on many threads.
        case .auto: byRows = d.embed / threads < 64 && rows >= 2 * minimumChunkRows * threads
        }
        if byRows {
            portableBlocksByRows(blocks, full: fullBlocks, all, batch: n, workspace: ws, eps: eps, par: par)
            return
        }
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

    /// Per row chunk: LN1 → qkv; then attention; then per row chunk the rest of the block and the next
    /// block's LN1 → qkv.
    private func portableBlocksByRows(_ blocks: [WeightLayout.Block], full fullBlocks: Int, _ all: Tokens,
                                      batch n: Int, workspace ws: ViTWorkspace, eps: Float, par: WorkerPool) {
        let d = dims, rows = all.rows
        let chunks = rowChunks(rows)
        par.forChunks(chunks) { c in
            let r = Parallel.part(c, of: chunks, count: rows)
            attentionInput(blocks[0], all, rows: r, columns: 0..<(3 * d.attn), ln: ws.h + r.lowerBound * d.embed, eps: eps)
        }
        for i in 0..<fullBlocks {
            let blk = blocks[i]
            attention(batch: n, queries: d.tokens, workspace: ws, par: par)
            let next = i + 1 < blocks.count ? blocks[i + 1] : nil
            par.forChunks(chunks) { c in
                let r = Parallel.part(c, of: chunks, count: rows)
                let ln = ws.h + r.lowerBound * d.embed
                attentionOutput(blk, all, rows: r, columns: 0..<d.embed)
                mlpInput(blk, all, rows: r, columns: 0..<d.hidden, ln: ln, eps: eps)
                mlpOutput(blk, all, rows: r, columns: 0..<d.embed)
                if let next {
                    attentionInput(next, all, rows: r, columns: 0..<(3 * d.attn), ln: ln, eps: eps)
                }
            }
        }
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
    func blockTail(_ blk: WeightLayout.Block, _ t: Tokens, workspace ws: ViTWorkspace, eps: Float,
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

    /// Multi-head self-attention of the first `queries` tokens of every image against all its tokens,
    /// for every (image, head) pair: softmax(q·kᵀ·hd^−½)·v (computed as (e^(s − max)·v)/Σ), written head-major (the layout `attn.proj`
    /// expects) into `attn` rows b·queries + i. With few pairs (batch 1, few heads) the query rows are
    /// cut into slices too, so every thread gets a share.
    func attention(batch n: Int, queries: Int, workspace ws: ViTWorkspace, par: WorkerPool) {
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
                GEMM.gemm(m: rows.count, n: T, k: hd, alpha: scale, a: q, lda: ld, b: base + A, ldb: ld, bTransposed: true,
                          beta: 0, c: s, ldc: T)
                // Unnormalised probabilities times v, each row then scaled by its 1/Σ.
                Kernels.softmaxNumerators(s, rows: rows.count, n: T, ld: T, inverseSums: inv)
                probe?.record(image: b, head: h, rows: rows, numerators: s, inverseSums: inv)
                let o = out + (b * queries + rows.lowerBound) * A + h * hd
                GEMM.gemm(m: rows.count, n: hd, k: T, a: s, lda: T, b: base + 2 * A, ldb: ld, bTransposed: false, beta: 0, c: o,
                          ldc: A)
                for r in 0..<rows.count { Kernels.scaleRow(o + r * A, hd, by: inv[r]) }
            }
        }
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
