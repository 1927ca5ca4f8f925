import ViTModel
internal import CViTKernels

/// The transformer blocks on packed weights (`CViTKernels`): each product splits its column panels
/// between the threads and fuses its bias, activation and residual add into the store; LayerNorm (and,
/// for bf16, the rounding of each product's input) splits the rows; attention runs a strip of query
/// rows at a time without writing the score matrix out.
extension VisionTransformer {
    /// ln = norm1(x); qkv = ln·W_qkvᵀ + b.
    func packedAttentionInput(_ blk: WeightLayout.Block, _ t: Tokens, workspace ws: ViTWorkspace, eps: Float,
                              par: WorkerPool) {
        let d = dims
        normRows(blk.norm1, t, workspace: ws, eps: eps, par: par)
        packedLinear(blk.qkv, input: ws.ln, half: ws.half, ld: d.embed, t, into: UnsafeMutableRawPointer(t.qkv), epilogue: plain(blk.qkv),
                     par: par)
    }

    /// Whether the bf16 products' input for `proj` is already in ws.half (the packed bf16 attention stores its
    /// output there, rounded) rather than in t.attn.
    func attentionWritesHalf(_ ws: ViTWorkspace) -> Bool {
        packed?.bf16 == true && ws.attentionProbe == nil && dims.attn % 2 == 0
    }

    /// x += ls1·(attn·W_projᵀ + b); ln = norm2(x); mlp = act(ln·W_fc1ᵀ + b); x += ls2·(mlp·W_fc2ᵀ + b).
    func packedBlockTail(_ blk: WeightLayout.Block, _ t: Tokens, workspace ws: ViTWorkspace, eps: Float,
                         par: WorkerPool) {
        let d = dims
        let bf16 = packed?.bf16 == true
        if bf16, !attentionWritesHalf(ws) { roundRows(t.attn, width: d.attn, t, workspace: ws, par: par) }
        packedLinear(blk.proj, input: t.attn, half: ws.half, ld: d.attn, t, into: UnsafeMutableRawPointer(t.x),
                     epilogue: residual(blk.proj, gamma: blk.ls1), par: par)
        normRows(blk.norm2, t, workspace: ws, eps: eps, par: par)
        if d.activation == .swiglu {
            packedLinear(blk.fc1, input: ws.ln, half: ws.half, ld: d.embed, t, into: UnsafeMutableRawPointer(t.glu), epilogue: plain(blk.fc1),
                         par: par)
            rowSplit(t.rows, par) { r in
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
            packedLinear(blk.fc1, input: ws.ln, half: ws.half, ld: d.embed, t, into: UnsafeMutableRawPointer(t.mlp),
                         epilogue: ep, par: par)
            if direct {
                let rounded = UnsafeMutableRawPointer(t.mlp).assumingMemoryBound(to: UInt16.self)
                packedLinear(blk.fc2, input: t.mlp, half: rounded, ld: d.hidden, t, into: UnsafeMutableRawPointer(t.x),
                             epilogue: residual(blk.fc2, gamma: blk.ls2), par: par)
                return
            }
        }
        if bf16 { roundRows(t.mlp, width: d.hidden, t, workspace: ws, par: par) }
        packedLinear(blk.fc2, input: t.mlp, half: ws.half, ld: d.hidden, t, into: UnsafeMutableRawPointer(t.x),
                     epilogue: residual(blk.fc2, gamma: blk.ls2), par: par)
    }

    /// Attention of the first `queries` tokens of every image (see `attention`), on the C kernels: per chunk,
    /// K and V of the current (image, head) packed once, then strips of query rows; with bf16 block products,
    /// q, K, V and the softmax numerators in bf16 too (scores, softmax and sums stay Float32).
    func packedAttention(batch n: Int, queries: Int, workspace ws: ViTWorkspace, par: WorkerPool) {
        let d = dims, T = d.tokens, A = d.attn, hd = d.headDim, ld = 3 * A
        let scale = Float(1 / Double(hd).squareRoot())
        let pairs = n * d.heads
        let slices = max(1, min((Parallel.chunksPerThread * threads + pairs - 1) / pairs, (queries + 7) / 8))
        let items = pairs * slices
        let chunks = min(items, Parallel.chunksPerThread * threads)
        let scratch = ViTWorkspace.attentionScratch(dims)
        let isa = kernels.code
        let bf16 = packed?.bf16 == true
        let half = attentionWritesHalf(ws)
        par.forChunks(chunks) { c in
            let s = ws.attentionScratch + c * scratch
            var packedPair = -1
            for item in Parallel.part(c, of: chunks, count: items) {
                let pair = item / slices
                let b = pair / d.heads, h = pair % d.heads
                let rows = Parallel.part(item % slices, of: slices, count: queries, alignment: 8)
                if rows.isEmpty { continue }
                let base = ws.qkv + b * T * ld + h * hd
                let row = b * queries * A + h * hd
                let pack: Int32 = pair == packedPair ? 0 : 1
                if bf16 {
                    // Rounded straight into proj's bf16 input rows (A even), else Float32 into attn.
                    let o = half ? UnsafeMutableRawPointer(ws.half + row) : UnsafeMutableRawPointer(ws.attn + row)
                    _ = vk_attention_bf16(Int32(T), Int32(hd), Int32(rows.lowerBound), Int32(rows.upperBound), base,
                                          base + A, base + 2 * A, ld, scale, o, A, half ? 1 : 0, s, pack)
                } else {
                    _ = vk_attention(isa, Int32(T), Int32(hd), Int32(rows.lowerBound), Int32(rows.upperBound), base,
                                     base + A, base + 2 * A, ld, scale, ws.attn + row, A, s, pack)
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

    /// ws.ln = norm(x) for all `t.rows` rows, split by rows (AVX-512 kernel, else Swift); for bf16 products the
    /// normed rows go straight to ws.half, rounded, instead.
    private func normRows(_ nm: WeightLayout.Norm, _ t: Tokens, workspace ws: ViTWorkspace, eps: Float, par: WorkerPool) {
        let D = dims.embed, ldh = (D + 1) / 2 * 2
        let half = packed?.bf16 == true
        rowSplit(t.rows, par) { r in
            let x = t.x + r.lowerBound * D, ln = ws.ln + r.lowerBound * D, h = ws.half + r.lowerBound * ldh
            if vk_layernorm(x, D, Int32(r.count), Int32(D), nm.weight, nm.bias, eps, half ? nil : ln, D,
                            half ? h : nil, ldh) == 0 { return }
            Kernels.layerNorm(x, ldx: D, ln, ldy: D, rows: r.count, n: D, weight: nm.weight, bias: nm.bias, eps: eps)
            if half { vk_to_bf16_rows(ln, D, Int32(r.count), Int32(D), h, ldh) }
        }
    }

    /// ws.half = bf16(x) for all `t.rows` rows of `width` floats, split by rows.
    private func roundRows(_ x: UnsafePointer<Float>, width: Int, _ t: Tokens, workspace ws: ViTWorkspace,
                           par: WorkerPool) {
        let ldh = (width + 1) / 2 * 2
        rowSplit(t.rows, par) { r in
            vk_to_bf16_rows(x + r.lowerBound * width, width, Int32(r.count), Int32(width), ws.half + r.lowerBound * ldh,
                            ldh)
        }
    }

    /// y (row stride l.outDim) = epilogue(input · Wᵀ) for all `t.rows` rows, the column panels split between the
    /// threads; `input` rows are `ld` floats (fp32 products) or `half`'s rows of ld rounded up to even (bf16);
    /// y is Float32, or bfloat16 with `epilogue.out_bf16`.
    private func packedLinear(_ l: WeightLayout.Linear, input: UnsafePointer<Float>, half: UnsafePointer<UInt16>,
                              ld: Int, _ t: Tokens, into y: UnsafeMutableRawPointer, epilogue: vk_epilogue,
                              par: WorkerPool) {
        guard let m = packed?[l] else { return }
        let chunks = min(Parallel.chunksPerThread * threads, m.panels)
        let isa = kernels.code
        withUnsafePointer(to: epilogue) { ep in
            par.forChunks(chunks) { c in
                let p = Parallel.part(c, of: chunks, count: m.panels)
                if m.half {
                    _ = vk_gemm_bf16(Int32(t.rows), Int32(m.n), Int32(m.k), half, (ld + 1) / 2 * 2,
                                     m.base.assumingMemoryBound(to: UInt16.self), Int32(p.lowerBound),
                                     Int32(p.upperBound), y.assumingMemoryBound(to: Float.self), m.n, ep)
                } else {
                    _ = vk_gemm_f32(isa, Int32(t.rows), Int32(m.n), Int32(m.k), input, ld,
                                    m.base.assumingMemoryBound(to: Float.self), Int32(p.lowerBound),
                                    Int32(p.upperBound), y.assumingMemoryBound(to: Float.self), m.n, ep)
                }
            }
        }
    }

    /// Runs `body` on ranges of 0..<rows, `chunksPerThread` per thread.
    private func rowSplit(_ rows: Int, _ par: WorkerPool, _ body: (Range<Int>) -> Void) {
        let chunks = min(Parallel.chunksPerThread * threads, rows)
        par.forChunks(chunks) { c in body(Parallel.part(c, of: chunks, count: rows)) }
    }
}

extension VisionTransformer {
    /// embed[rows] = patches[rows]·W_patchᵀ + b on the calling thread, packed when the model is.
    func patchLinear(_ patches: UnsafePointer<Float>, rows: Int, into e: UnsafeMutablePointer<Float>) {
        let l = weights.layout.patchProj
        guard rows > 0 else { return }
        if let m = packed?[l] {
            var ep = vk_epilogue(bias: l.bias, gamma: nil, row_scale: nil, alpha: 1, act: Int32(VK_ACT_NONE),
                                 residual: 0, out_bf16: 0)
            _ = vk_gemm_f32(kernels.code, Int32(rows), Int32(m.n), Int32(m.k), patches, m.k,
                            m.base.assumingMemoryBound(to: Float.self), 0, Int32(m.panels), e, m.n, &ep)
        } else {
            linear(l, patches, rows: rows, columns: 0..<l.outDim, into: e)
        }
    }
}
