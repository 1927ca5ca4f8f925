import ViTModel
internal import CViTKernels

/// The transformer blocks on packed weights (`CViTKernels`): each product splits its column panels
/// between the threads and fuses its bias, activation and residual add into the store; LayerNorm (and,
/// for bf16, the rounding of each product's input) splits the rows; attention runs a strip of query
/// rows at a time without writing the score matrix out.
extension VisionTransformer {
    /// How a block's steps outside attention are spread over the threads.
    enum PackedSchedule {
        /// Every step is a parallel loop of its own: LayerNorm and rounding split the rows, each product its
        /// column panels (every thread over all rows).
        case columns(WorkerPool)
        /// The caller's chunk of token rows, through every step in turn (all panels of each product): the
        /// threads meet only around attention, each streaming every weight of the block.
        case rows(Range<Int>)
    }

    /// The first `full` of `blocks` whole, and the last block's LN1 → qkv when `full` < `blocks.count` (its rest
    /// runs on the pruned rows afterwards), by column panels or (`split: .rows`) by row chunks.
    func packedBlocks(_ blocks: [WeightLayout.Block], full fullBlocks: Int, _ all: Tokens, batch n: Int,
                      workspace ws: ViTWorkspace, eps: Float, par: WorkerPool) {
        let d = dims, rows = all.rows
        guard packedRows(workspace: ws) else {
            for (i, blk) in blocks.enumerated() {
                packedAttentionInput(blk, all, workspace: ws, eps: eps, .columns(par))
                if i == fullBlocks { break }
                anyAttention(batch: n, queries: d.tokens, workspace: ws, par: par)
                packedBlockTail(blk, all, workspace: ws, eps: eps, .columns(par))
            }
            return
        }
        // Per row chunk: LN1 → qkv; then attention; then per row chunk the rest of the block and the next
        // block's LN1 → qkv.
        let chunks = rowChunks(rows, atLeast: 8)
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
    }

    /// Whether the packed blocks run by row chunks (`PackedSchedule.rows`): only when `split` says rows and the
    /// model's buffers allow it. `auto` takes columns: on 2 cores rows measured slower for ViT-S/16 and B/16
    /// (every row chunk streams all of a block's weights) and level for ViT-Ti/16 (docs/PERFORMANCE.md).
    private func packedRows(workspace ws: ViTWorkspace) -> Bool {
        guard case .rows = split else { return false }
        return threads > 1 && rowsScheduleFits(ws)
    }

    /// ln = norm1(x); qkv = ln·W_qkvᵀ + b.
    func packedAttentionInput(_ blk: WeightLayout.Block, _ t: Tokens, workspace ws: ViTWorkspace, eps: Float,
                              _ s: PackedSchedule) {
        let d = dims
        norm(blk.norm1, t, workspace: ws, eps: eps, s)
        var ep = plain(blk.qkv)
        ep.out_bf16 = qkvWritesHalf(ws) ? 1 : 0
        product(blk.qkv, input: ws.ln, half: ws.half, ld: d.embed, t, into: UnsafeMutableRawPointer(t.qkv),
                epilogue: ep, s)
    }

    /// Whether the qkv product stores q, K and V rounded, as bf16 rows of 3·A in qkv's memory, for the packed bf16
    /// attention to read as they are (the same values it would round them to, half the bytes).
    func qkvWritesHalf(_ ws: ViTWorkspace) -> Bool {
        attentionWritesHalf(ws) && dims.headDim % 2 == 0
    }

    /// Whether the packed bf16 attention stores its output rounded, in the attn buffer's memory as bf16 rows of
    /// stride A (proj's input), rather than as Float32.
    func attentionWritesHalf(_ ws: ViTWorkspace) -> Bool {
        packed?.bf16 == true && ws.attentionProbe == nil && dims.attn % 2 == 0
    }

    /// Whether `PackedSchedule.rows` can run this model: every buffer a step writes is then indexed by the
    /// chunk's own rows. (bf16 products that round attn or mlp in a pass of their own share ws.half between
    /// widths, which needs the columns schedule.)
    func rowsScheduleFits(_ ws: ViTWorkspace) -> Bool {
        packed?.bf16 != true || (attentionWritesHalf(ws) && dims.hidden % 2 == 0 && dims.activation != .swiglu)
    }

    /// x += ls1·(attn·W_projᵀ + b); ln = norm2(x); mlp = act(ln·W_fc1ᵀ + b); x += ls2·(mlp·W_fc2ᵀ + b).
    func packedBlockTail(_ blk: WeightLayout.Block, _ t: Tokens, workspace ws: ViTWorkspace, eps: Float,
                         _ s: PackedSchedule) {
        let d = dims
        let bf16 = packed?.bf16 == true
        var attnHalf = ws.half
        if bf16, attentionWritesHalf(ws) {
            attnHalf = UnsafeMutableRawPointer(t.attn).assumingMemoryBound(to: UInt16.self)
        } else if bf16 {
            round(t.attn, width: d.attn, t, workspace: ws, s)
        }
        product(blk.proj, input: t.attn, half: attnHalf, ld: d.attn, t, into: UnsafeMutableRawPointer(t.x),
                epilogue: residual(blk.proj, gamma: blk.ls1), s)
        norm(blk.norm2, t, workspace: ws, eps: eps, s)
        if d.activation == .swiglu {
            product(blk.fc1, input: ws.ln, half: ws.half, ld: d.embed, t, into: UnsafeMutableRawPointer(t.glu),
                    epilogue: plain(blk.fc1), s)
            rows(t, s) { r in
                for row in r {
                    let g = t.glu + row * 2 * d.hidden
                    Kernels.swiglu(gate: g, value: g + d.hidden, into: t.mlp + row * d.hidden, d.hidden)
                }
            }
        } else {
            var ep = plain(blk.fc1)
            ep.act = Self.epilogueActivation(d.activation)
            // bf16: fc1 stores its activations rounded, as fc2's input rows, in the (wider) mlp buffer: ws.half
            // still holds fc1's own input. Hidden even: no pad column to fill.
            let direct = bf16 && d.hidden % 2 == 0
            ep.out_bf16 = direct ? 1 : 0
            product(blk.fc1, input: ws.ln, half: ws.half, ld: d.embed, t, into: UnsafeMutableRawPointer(t.mlp),
                    epilogue: ep, s)
            if direct {
                let rounded = UnsafeMutableRawPointer(t.mlp).assumingMemoryBound(to: UInt16.self)
                product(blk.fc2, input: t.mlp, half: rounded, ld: d.hidden, t, into: UnsafeMutableRawPointer(t.x),
                        epilogue: residual(blk.fc2, gamma: blk.ls2), s)
                return
            }
        }
        if bf16 { round(t.mlp, width: d.hidden, t, workspace: ws, s) }
        product(blk.fc2, input: t.mlp, half: ws.half, ld: d.hidden, t, into: UnsafeMutableRawPointer(t.x),
                epilogue: residual(blk.fc2, gamma: blk.ls2), s)
    }

    /// Attention of the first `queries` tokens of every image (see `attention`), on the C kernels: per chunk,
    /// K and V of the current (image, head) packed once, then strips of query rows; with bf16 block products,
    /// q, K, V and the softmax numerators in bf16 too (scores, softmax and sums stay Float32).
    func packedAttention(batch n: Int, queries: Int, workspace ws: ViTWorkspace, par: WorkerPool) {
        let d = dims, T = d.tokens, A = d.attn, hd = d.headDim, ld = 3 * A
        let scale = Float(1 / Double(hd).squareRoot())
        let pairs = n * d.heads
        // Slices of query rows only as many as give each thread two items: every item packs its head's K
        // (and V) again, so ViT-Ti/16's 3 heads are cut in 2, not in 3 or more.
        let slices = max(1, min((2 * threads + pairs - 1) / pairs, (queries + 7) / 8))
        let items = pairs * slices
        let chunks = min(items, Parallel.chunksPerThread * threads)
        let scratch = ViTWorkspace.attentionScratch(dims)
        let isa = kernels.code
        let bf16 = packed?.bf16 == true
        let half = attentionWritesHalf(ws)
        let qkvHalf: UnsafePointer<UInt16>? = qkvWritesHalf(ws)
            ? UnsafePointer(UnsafeMutableRawPointer(ws.qkv).assumingMemoryBound(to: UInt16.self)) : nil
        par.forChunks(chunks) { c in
            let s = ws.attentionScratch + c * scratch
            var packedPair = -1
            let mine = Parallel.part(c, of: chunks, count: items)
            for item in mine {
                let pair = item / slices
                let b = pair / d.heads, h = pair % d.heads
                let rows = Parallel.part(item % slices, of: slices, count: queries, alignment: 8)
                if rows.isEmpty { continue }
                let (r0, r1) = (Int32(rows.lowerBound), Int32(rows.upperBound))
                // q's offset in qkv (K and V follow A and 2A later), in elements of qkv's format.
                let at = b * T * ld + h * hd
                let row = b * queries * A + h * hd
                let pack: Int32 = pair == packedPair ? 0 : 1
                // The K (and V) this chunk packs next, prefetched while this item runs.
                let nextPair = (item + 1) / slices
                let nextK = item + 1 < mine.upperBound && nextPair != pair
                    ? (nextPair / d.heads) * T * ld + (nextPair % d.heads) * hd + A : nil
                if bf16 {
                    // Rounded, as proj's bf16 input rows of stride A in attn's memory (A even), else Float32.
                    let o = half ? UnsafeMutableRawPointer(UnsafeMutableRawPointer(ws.attn).assumingMemoryBound(to: UInt16.self) + row)
                        : UnsafeMutableRawPointer(ws.attn + row)
                    if let q16 = qkvHalf {  // q, K, V stored rounded by the qkv product
                        _ = vk_attention_bf16_in(Int32(T), Int32(hd), r0, r1, q16 + at, q16 + at + A, q16 + at + 2 * A,
                                                 ld, scale, o, A, half ? 1 : 0, s, pack, nextK.map { q16 + $0 })
                    } else {
                        let q = UnsafePointer(ws.qkv)
                        _ = vk_attention_bf16(Int32(T), Int32(hd), r0, r1, q + at, q + at + A, q + at + 2 * A, ld, scale,
                                              o, A, half ? 1 : 0, s, pack, nextK.map { q + $0 })
                    }
                } else {
                    let q = UnsafePointer(ws.qkv)
                    _ = vk_attention(isa, Int32(T), Int32(hd), r0, r1, q + at, q + at + A, q + at + 2 * A, ld, scale,
                                     ws.attn + row, A, s, pack, nextK.map { q + $0 })
                }
                packedPair = pair
            }
        }
    }

    // MARK: pieces

    /// The epilogue activation of a fused fc1 (SwiGLU is not fused).
    static func epilogueActivation(_ a: ViTConfig.Activation) -> Int32 {
        switch a {
        case .gelu: Int32(VK_ACT_GELU)
        case .geluTanh: Int32(VK_ACT_GELU_TANH)
        case .quickGelu: Int32(VK_ACT_QUICK_GELU)
        case .relu: Int32(VK_ACT_RELU)
        case .swiglu: Int32(VK_ACT_NONE)
        }
    }

    /// y = x·Wᵀ + b.
    private func plain(_ l: WeightLayout.Linear) -> vk_epilogue {
        vk_epilogue(bias: l.bias, gamma: nil, row_scale: nil, alpha: 1, act: Int32(VK_ACT_NONE), residual: 0, out_bf16: 0)
    }

    /// y += gamma·(x·Wᵀ + b).
    private func residual(_ l: WeightLayout.Linear, gamma: UnsafePointer<Float>?) -> vk_epilogue {
        vk_epilogue(bias: l.bias, gamma: gamma, row_scale: nil, alpha: 1, act: Int32(VK_ACT_NONE), residual: 1,
                    out_bf16: 0)
    }

    /// ws.ln = norm(x) for the schedule's rows (AVX-512 kernel, else Swift); for bf16 products the normed rows go
    /// straight to ws.half, rounded, instead.
    private func norm(_ nm: WeightLayout.Norm, _ t: Tokens, workspace ws: ViTWorkspace, eps: Float, _ s: PackedSchedule) {
        let D = dims.embed, ldh = (D + 1) / 2 * 2
        let half = packed?.bf16 == true
        rows(t, s) { r in
            let x = t.x + r.lowerBound * D, ln = ws.ln + r.lowerBound * D, h = ws.half + r.lowerBound * ldh
            if vk_layernorm(x, D, Int32(r.count), Int32(D), nm.weight, nm.bias, eps, half ? nil : ln, D,
                            half ? h : nil, ldh) == 0 { return }
            Kernels.layerNorm(x, ldx: D, ln, ldy: D, rows: r.count, n: D, weight: nm.weight, bias: nm.bias, eps: eps)
            if half { vk_to_bf16_rows(ln, D, Int32(r.count), Int32(D), h, ldh) }
        }
    }

    /// ws.half = bf16(x) for the schedule's rows of `width` floats.
    private func round(_ x: UnsafePointer<Float>, width: Int, _ t: Tokens, workspace ws: ViTWorkspace, _ s: PackedSchedule) {
        let ldh = (width + 1) / 2 * 2
        rows(t, s) { r in
            vk_to_bf16_rows(x + r.lowerBound * width, width, Int32(r.count), Int32(width), ws.half + r.lowerBound * ldh,
                            ldh)
        }
    }

    /// y (row stride l.outDim) = epilogue(input · Wᵀ): all rows with the column panels split between the threads,
    /// or the chunk's rows with all panels. `input` rows are `ld` floats (fp32 products) or `half`'s rows of ld
    /// rounded up to even (bf16); y is Float32, or bfloat16 with `epilogue.out_bf16`.
    private func product(_ l: WeightLayout.Linear, input: UnsafePointer<Float>, half: UnsafePointer<UInt16>, ld: Int,
                         _ t: Tokens, into y: UnsafeMutableRawPointer, epilogue: vk_epilogue, _ s: PackedSchedule) {
        guard let m = packed?[l] else { return }
        let isa = kernels.code, ldh = (ld + 1) / 2 * 2
        let ldy = m.n, bytes = epilogue.out_bf16 != 0 ? 2 : 4
        withUnsafePointer(to: epilogue) { ep in
            func run(_ r: Range<Int>, _ p: Range<Int>) {
                guard !r.isEmpty else { return }
                let out = (y + r.lowerBound * ldy * bytes).assumingMemoryBound(to: Float.self)
                switch m.kind {
                case .bf16:
                    _ = vk_gemm_bf16(Int32(r.count), Int32(m.n), Int32(m.k), half + r.lowerBound * ldh, ldh,
                                     m.base.assumingMemoryBound(to: UInt16.self), Int32(p.lowerBound),
                                     Int32(p.upperBound), out, ldy, ep)
                case .f16:
                    _ = vk_gemm_f16w(Int32(r.count), Int32(m.n), Int32(m.k), input + r.lowerBound * ld, ld,
                                     m.base.assumingMemoryBound(to: UInt16.self), Int32(p.lowerBound),
                                     Int32(p.upperBound), out, ldy, ep)
                case .f32:
                    _ = vk_gemm_f32(isa, Int32(r.count), Int32(m.n), Int32(m.k), input + r.lowerBound * ld, ld,
                                    m.base.assumingMemoryBound(to: Float.self), Int32(p.lowerBound),
                                    Int32(p.upperBound), out, ldy, ep)
                }
            }
            switch s {
            case .rows(let r): run(r, 0..<m.panels)
            case .columns(let par):
                let chunks = min(Parallel.chunksPerThread * threads, m.panels)
                par.forChunks(chunks) { c in run(0..<t.rows, Parallel.part(c, of: chunks, count: m.panels)) }
            }
        }
    }

    /// Runs `body` on the chunk's rows, or on ranges of all `t.rows` rows split between the threads.
    private func rows(_ t: Tokens, _ s: PackedSchedule, _ body: (Range<Int>) -> Void) {
        switch s {
        case .rows(let r): body(r)
        case .columns(let par):
            let chunks = min(Parallel.chunksPerThread * threads, t.rows)
            par.forChunks(chunks) { c in body(Parallel.part(c, of: chunks, count: t.rows)) }
        }
    }
}

extension VisionTransformer {
    /// embed[rows] = patches[rows]·W_patchᵀ + b on the calling thread, packed when the model is.
    func patchLinear(_ patches: UnsafePointer<Float>, rows: Int, into e: UnsafeMutablePointer<Float>) {
        let l = weights.layout.patchProj
        guard rows > 0 else { return }
        if let m = packed?[l] {
            var ep = plain(l)
            _ = vk_gemm_f32(kernels.code, Int32(rows), Int32(m.n), Int32(m.k), patches, m.k,
                            m.base.assumingMemoryBound(to: Float.self), 0, Int32(m.panels), e, m.n, &ep)
        } else {
            linear(l, patches, rows: rows, columns: 0..<l.outDim, into: e)
        }
    }
}
