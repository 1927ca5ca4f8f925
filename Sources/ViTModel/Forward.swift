/// The forward pass, step by step as timm 1.0.31 `VisionTransformer.forward` (eval, no dropout):
/// patch embedding → prefix tokens and position embedding → norm_pre → blocks → norm → pool →
/// fc_norm → pre_logits → head.
extension VisionTransformer {
    /// Runs `batch` checked NCHW images through the network into `output` (batch × outputWidth).
    func run(images: UnsafePointer<Float>, batch n: Int, workspace ws: ViTWorkspace,
             output: UnsafeMutablePointer<Float>) {
        let L = weights.layout
        let d = dims
        let eps = Float(config.layerNormEps)
        let par = Parallel(threads: threading == .split ? threads : 1, minimumWork: minimumParallelWork)
        BLAS.setThreads(threading == .split ? 1 : threads)

        // Patch embedding: im2col into rows of C·P·P in (c, py, px) order, then one product with the
        // conv kernel seen as a (D, C·P·P) matrix.
        let rowsP = n * d.patches
        im2col(images, batch: n, into: ws.patches, par: par)
        if let pn = L.patchNormPre {
            normRows(ws.patches, ws.patches, rows: rowsP, width: d.patchLength, pn, eps: eps, par: par)
        }
        linear(L.patchProj, ws.patches, rows: rowsP, into: ws.embed, par: par)
        if let pn = L.patchNorm { normRows(ws.embed, ws.embed, rows: rowsP, width: d.embed, pn, eps: eps, par: par) }

        assembleTokens(batch: n, embed: ws.embed, into: ws.x)
        let rows = n * d.tokens
        if let np = L.normPre { normRows(ws.x, ws.x, rows: rows, width: d.embed, np, eps: eps, par: par) }

        for blk in L.blocks {
            // x = x + ls1 · proj(attention(norm1(x)))
            normRows(ws.x, ws.h, rows: rows, width: d.embed, blk.norm1, eps: eps, par: par)
            linear(blk.qkv, ws.h, rows: rows, into: ws.qkv, par: par)
            attention(batch: n, qkv: ws.qkv, scores: ws.scores, into: ws.attn, par: par)
            linear(blk.proj, ws.attn, rows: rows, into: ws.h, par: par)
            addRows(ws.x, ws.h, rows: rows, gamma: blk.ls1, par: par)
            // x = x + ls2 · fc2(gelu(fc1(norm2(x))))
            normRows(ws.x, ws.h, rows: rows, width: d.embed, blk.norm2, eps: eps, par: par)
            linear(blk.fc1, ws.h, rows: rows, into: ws.mlp, par: par)
            let hidden = ws.mlp, count = rows * d.hidden
            par.forRanges(count, work: count * 8, alignment: 64) { r in
                Kernels.gelu(hidden + r.lowerBound, r.count)
            }
            linear(blk.fc2, ws.mlp, rows: rows, into: ws.h, par: par)
            addRows(ws.x, ws.h, rows: rows, gamma: blk.ls2, par: par)
        }

        head(batch: n, workspace: ws, eps: eps, output: output, par: par)
    }

    /// patches[(b·G + gy·GW + gx), c·P·P + py·P + px] = image[b, c, gy·P + py, gx·P + px].
    private func im2col(_ img: UnsafePointer<Float>, batch n: Int, into patches: UnsafeMutablePointer<Float>,
                        par: Parallel) {
        let d = dims
        par.forRanges(n * d.gridH, work: n * d.imageLength) { r in
            for idx in r {
                let b = idx / d.gridH, gy = idx % d.gridH
                for c in 0..<d.channels {
                    for py in 0..<d.patchH {
                        let src = img + ((b * d.channels + c) * d.height + gy * d.patchH + py) * d.width
                        for gx in 0..<d.gridW {
                            let row = b * d.patches + gy * d.gridW + gx
                            let dst = patches + row * d.patchLength + (c * d.patchH + py) * d.patchW
                            dst.update(from: src + gx * d.patchW, count: d.patchW)
                        }
                    }
                }
            }
        }
    }

    /// x[b] = [cls, dist, reg…, patches] with pos_embed added to every row, or (no_embed_class) to the
    /// patch rows only, before they are joined by the prefix tokens.
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
            } else {
                Kernels.addResidual(xb, L.posEmbed, rows: d.tokens, n: D, gamma: nil)
            }
        }
    }

    /// Multi-head self-attention for every (image, head) pair: softmax(q·kᵀ·hd^−½)·v, written
    /// head-major into `out` (rows × attnDim), the layout `attn.proj` expects.
    private func attention(batch n: Int, qkv: UnsafePointer<Float>, scores: UnsafeMutablePointer<Float>,
                           into out: UnsafeMutablePointer<Float>, par: Parallel) {
        let d = dims, T = d.tokens, A = d.attn, hd = d.headDim, ld = 3 * A
        let scale = Float(1 / Double(hd).squareRoot())
        par.forEach(n * d.heads) { idx, thread in
            let b = idx / d.heads, h = idx % d.heads
            let q = qkv + b * T * ld + h * hd
            let s = scores + thread * T * T
            BLAS.gemmNT(m: T, n: T, k: hd, alpha: scale, a: q, lda: ld, b: q + A, ldb: ld, beta: 0, c: s, ldc: T)
            Kernels.softmax(s, rows: T, n: T, ld: T)
            BLAS.gemmNN(m: T, n: hd, k: T, a: s, lda: T, b: q + 2 * A, ldb: ld, beta: 0,
                        c: out + b * T * A + h * hd, ldc: A)
        }
    }

    /// Final norm, pooling, fc_norm, pre-logits and head(s) into `output`.
    private func head(batch n: Int, workspace ws: ViTWorkspace, eps: Float, output: UnsafeMutablePointer<Float>,
                      par: Parallel) {
        let L = weights.layout, d = dims, D = d.embed, T = d.tokens
        let feat = ws.features            // n rows (and n more: the distillation token's)
        let featDist = ws.features + n * D
        for b in 0..<n {
            let xb = ws.x + b * T * D
            switch config.globalPool {
            case .token:
                // LayerNorm is per token, so norming only the tokens read is exact.
                let used = d.distilled ? 2 : 1
                if let nm = L.norm {
                    Kernels.layerNorm(xb, ldx: D, xb, ldy: D, rows: used, n: D, weight: nm.weight, bias: nm.bias, eps: eps)
                }
                feat.advanced(by: b * D).update(from: xb, count: D)
                if d.distilled { featDist.advanced(by: b * D).update(from: xb + D, count: D) }
            case .avg:
                let patches = xb + d.prefix * D
                if let nm = L.norm {
                    Kernels.layerNorm(patches, ldx: D, patches, ldy: D, rows: d.patches, n: D,
                                      weight: nm.weight, bias: nm.bias, eps: eps)
                }
                Kernels.meanRows(patches, rows: d.patches, n: D, into: feat + b * D)
            }
        }
        // timm's distilled head reads the two tokens directly and applies no fc_norm.
        if let fn = L.fcNorm, !d.distilled {
            Kernels.layerNorm(feat, ldx: D, feat, ldy: D, rows: n, n: D, weight: fn.weight, bias: fn.bias, eps: eps)
        }
        let streams = d.distilled ? 2 : 1
        var vectors = feat
        if let pl = L.preLogits {
            // Both token streams sit back to back in `features`, so one product covers them.
            linear(pl, feat, rows: streams * n, into: ws.preLogits, par: par)
            let count = streams * n * d.features
            switch config.preLogitsActivation ?? .tanh {
            case .tanh: Kernels.tanh(ws.preLogits, count)
            case .gelu: Kernels.gelu(ws.preLogits, count)
            }
            vectors = ws.preLogits
        }
        let F = d.features
        if let hd = L.head {
            linear(hd, vectors, rows: n, into: output, par: par)
            if let hdd = L.headDist {
                linear(hdd, vectors + n * F, rows: n, into: ws.logits, par: par)
                for i in 0..<(n * d.classes) { output[i] = (output[i] + ws.logits[i]) / 2 }
            }
        } else if d.distilled {
            for i in 0..<(n * F) { output[i] = (vectors[i] + vectors[n * F + i]) / 2 }
        } else {
            output.update(from: vectors, count: n * F)
        }
    }

    /// y = x·Wᵀ + b for `rows` rows. With `.split` threading the output columns are divided between
    /// threads (each packs its own slice of W); otherwise one OpenBLAS call does it all.
    func linear(_ l: WeightLayout.Linear, _ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>,
                par: Parallel) {
        let (k, outDim) = (l.inDim, l.outDim)
        par.forRanges(outDim, work: rows * outDim * k / 16, alignment: 16) { r in
            let c = y + r.lowerBound
            if let b = l.bias { Kernels.fillRows(c, ldc: outDim, rows: rows, n: r.count, bias: b + r.lowerBound) }
            BLAS.gemmNT(m: rows, n: r.count, k: k, a: x, lda: k, b: l.weight + r.lowerBound * k, ldb: k,
                        beta: l.bias == nil ? 0 : 1, c: c, ldc: outDim)
        }
    }

    /// LayerNorm over `rows` rows of `width`, split by rows across threads.
    private func normRows(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                          _ nm: WeightLayout.Norm, eps: Float, par: Parallel) {
        par.forRanges(rows, work: rows * width * 4) { r in
            Kernels.layerNorm(x + r.lowerBound * width, ldx: width, y + r.lowerBound * width, ldy: width,
                              rows: r.count, n: width, weight: nm.weight, bias: nm.bias, eps: eps)
        }
    }

    /// x += y (· gamma) over `rows` rows of the embedding width, split by rows across threads.
    private func addRows(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, rows: Int,
                         gamma: UnsafePointer<Float>?, par: Parallel) {
        let D = dims.embed
        par.forRanges(rows, work: rows * D) { r in
            Kernels.addResidual(x + r.lowerBound * D, y + r.lowerBound * D, rows: r.count, n: D, gamma: gamma)
        }
    }
}
