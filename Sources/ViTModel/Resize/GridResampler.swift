/// Applies 1-D weights to an `(h, w, channels)` grid (channels innermost), in the same float32
/// operation order as PyTorch's CPU kernels, so that results match to the last bit or nearly:
///
/// - bilinear without antialias: `cpu_upsample_linear_channels_last` (the kernel PyTorch picks for
///   timm's channels-last view and for any output with h + w ≤ 128): per output pixel the four
///   weights `λh·λw` are formed first, then `i00·w00 + i01·w01 + i10·w10 + i11·w11`;
/// - bicubic without antialias: `upsample_generic_Nd_kernel_impl`: for each of the 4 row taps the
///   4 column taps are summed, then the rows; which equals a horizontal then a vertical pass;
/// - antialias: `separable_upsample_generic_Nd_kernel_impl`: a horizontal pass, then a vertical
///   one, each skipped when that side keeps its size.
struct GridResampler {
    let old: (h: Int, w: Int)
    let new: (h: Int, w: Int)
    let channels: Int
    let mode: PosEmbedInterpolation
    let antialias: Bool
    let alignCorners: Bool
    /// PyTorch `scale_factor=` per axis (height, width), when the caller passed one instead of a size.
    var scaleFactors: (h: Double, w: Double)? = nil

    func run(_ src: UnsafeBufferPointer<Float>, into dst: UnsafeMutableBufferPointer<Float>) {
        let wy = ResampleWeights(inputSize: old.h, outputSize: new.h, mode: mode, antialias: antialias, alignCorners: alignCorners,
                                 scaleFactor: scaleFactors?.h)
        let wx = ResampleWeights(inputSize: old.w, outputSize: new.w, mode: mode, antialias: antialias, alignCorners: alignCorners,
                                 scaleFactor: scaleFactors?.w)
        if mode == .bilinear && !antialias {
            bilinearChannelsLast(src, into: dst, wy: wy, wx: wx)
            return
        }
        let skipX = antialias && old.w == new.w
        let skipY = antialias && old.h == new.h
        switch (skipX, skipY) {
        case (true, true):
            for i in 0..<dst.count { dst[i] = src[i] }
        case (false, true):
            GridResampler.pass(src, outer: old.h, inner: channels, weights: wx, into: dst)
        case (true, false):
            GridResampler.pass(src, outer: 1, inner: old.w * channels, weights: wy, into: dst)
        case (false, false):
            var tmp = [Float](repeating: 0, count: old.h * new.w * channels)
            tmp.withUnsafeMutableBufferPointer { t in
                GridResampler.pass(src, outer: old.h, inner: channels, weights: wx, into: t)
                GridResampler.pass(UnsafeBufferPointer(t), outer: 1, inner: new.w * channels, weights: wy, into: dst)
            }
        }
    }

    /// One separable pass over `src` laid out `[outer][weights.inputSize][inner]`, writing
    /// `[outer][weights.outputSize][inner]`. Each element is `Σ src·w` over the taps in order,
    /// starting from the first product (as PyTorch's `interpolate_aa_single_dim` and `Interpolate`).
    static func pass(_ src: UnsafeBufferPointer<Float>, outer: Int, inner: Int, weights: ResampleWeights,
                     into dst: UnsafeMutableBufferPointer<Float>) {
        if weights.isUnrolledCubic {
            cubicPass(src, outer: outer, inner: inner, weights: weights, into: dst)
            return
        }
        let nIn = weights.inputSize
        let nOut = weights.outputSize
        guard let s = src.baseAddress, let d = dst.baseAddress else { return }
        weights.indices.withUnsafeBufferPointer { idx in
            weights.weights.withUnsafeBufferPointer { wts in
                for o in 0..<outer {
                    let srcBlock = s + o * nIn * inner
                    for i in 0..<nOut {
                        let row = d + (o * nOut + i) * inner
                        let first = weights.starts[i]
                        let end = weights.starts[i + 1]
                        guard first < end else {
                            row.update(repeating: 0, count: inner)
                            continue
                        }
                        let r0 = srcBlock + idx[first] * inner
                        let w0 = wts[first]
                        for e in 0..<inner { row[e] = r0[e] * w0 }
                        // Of the `taps − 1` additions, the first multiple of 4 are separately rounded
                        // and the rest fused (see the type's comment).
                        let unfused = first + 1 + ((end - first - 1) / 4) * 4
                        var k = first + 1
                        while k < end {
                            let r = srcBlock + idx[k] * inner
                            let w = wts[k]
                            if k < unfused {
                                for e in 0..<inner { row[e] = row[e] + r[e] * w }
                            } else {
                                for e in 0..<inner { row[e] = row[e].addingProduct(r[e], w) }
                            }
                            k += 1
                        }
                    }
                }
            }
        }
    }

    /// The bicubic (no antialias) pass: PyTorch's `Interpolate` struct with its 4-tap loop unrolled,
    /// which the compiler evaluates as `fma(t0, w0, t1·w1)`, then `fma(t2, w2, ·)`, `fma(t3, w3, ·)`.
    static func cubicPass(_ src: UnsafeBufferPointer<Float>, outer: Int, inner: Int, weights: ResampleWeights,
                          into dst: UnsafeMutableBufferPointer<Float>) {
        let nIn = weights.inputSize
        let nOut = weights.outputSize
        guard let s = src.baseAddress, let d = dst.baseAddress else { return }
        for o in 0..<outer {
            let srcBlock = s + o * nIn * inner
            for i in 0..<nOut {
                let k = weights.starts[i]
                let r0 = srcBlock + weights.indices[k] * inner, w0 = weights.weights[k]
                let r1 = srcBlock + weights.indices[k + 1] * inner, w1 = weights.weights[k + 1]
                let r2 = srcBlock + weights.indices[k + 2] * inner, w2 = weights.weights[k + 2]
                let r3 = srcBlock + weights.indices[k + 3] * inner, w3 = weights.weights[k + 3]
                let row = d + (o * nOut + i) * inner
                for e in 0..<inner {
                    row[e] = (r1[e] * w1).addingProduct(r0[e], w0).addingProduct(r2[e], w2).addingProduct(r3[e], w3)
                }
            }
        }
    }

    /// PyTorch's `cpu_upsample_linear_channels_last` (2-D): channels in whole groups of 8 take the
    /// vectorised expression `i00·w00 + (i01·w01 + (i10·w10 + i11·w11))`, the remaining channels the
    /// scalar one `((i00·w00 + i01·w01) + i10·w10) + i11·w11`, each with the compiler's fusions.
    func bilinearChannelsLast(_ src: UnsafeBufferPointer<Float>, into dst: UnsafeMutableBufferPointer<Float>,
                              wy: ResampleWeights, wx: ResampleWeights) {
        guard let s = src.baseAddress, let d = dst.baseAddress else { return }
        let c = channels
        for oh in 0..<new.h {
            let ih0 = wy.indices[2 * oh], ih1 = wy.indices[2 * oh + 1]
            let h0 = wy.weights[2 * oh], h1 = wy.weights[2 * oh + 1]
            for ow in 0..<new.w {
                let iw0 = wx.indices[2 * ow], iw1 = wx.indices[2 * ow + 1]
                let w0 = wx.weights[2 * ow], w1 = wx.weights[2 * ow + 1]
                let w00 = h0 * w0, w01 = h0 * w1, w10 = h1 * w0, w11 = h1 * w1
                let i00 = s + (ih0 * old.w + iw0) * c
                let i01 = s + (ih0 * old.w + iw1) * c
                let i10 = s + (ih1 * old.w + iw0) * c
                let i11 = s + (ih1 * old.w + iw1) * c
                let out = d + (oh * new.w + ow) * c
                let vectorEnd = c - c % 8
                for e in 0..<vectorEnd {
                    out[e] = (i10[e] * w10).addingProduct(i11[e], w11).addingProduct(i01[e], w01).addingProduct(i00[e], w00)
                }
                for e in vectorEnd..<c {
                    out[e] = (i01[e] * w01).addingProduct(i00[e], w00).addingProduct(i10[e], w10).addingProduct(i11[e], w11)
                }
            }
        }
    }
}
