import ViTModel
import Foundation

/// Row-wise kernels of the forward pass: LayerNorm, softmax, GELU, residual adds and pooling.
///
/// Each works on raw Float32 rows with 8-lane SIMD bodies and scalar tails, allocates nothing, and
/// may run on disjoint row ranges from several threads at once.
enum Kernels {
    typealias V = SIMD8<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ i: Int) -> V {
        UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
    }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: V.self)
    }

    /// Sum of `n` floats (8 lanes × 2 accumulators, then the tail).
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var a0 = V(), a1 = V()
        var i = 0
        while i + 16 <= n { a0 += load(x, i); a1 += load(x, i + 8); i += 16 }
        if i + 8 <= n { a0 += load(x, i); i += 8 }
        var s = (a0 + a1).sum()
        while i < n { s += x[i]; i += 1 }
        return s
    }

    /// LayerNorm of each row: y = (x − mean)/√(var + eps)·w + b, with the biased variance taken about
    /// the mean (two passes, as precise as PyTorch's). `x` and `y` may be the same rows.
    /// - Parameters:
    ///   - x: `rows` rows of `n` floats, `ldx` apart.
    ///   - y: Output rows, `ldy` apart.
    static func layerNorm(_ x: UnsafePointer<Float>, ldx: Int, _ y: UnsafeMutablePointer<Float>, ldy: Int,
                          rows: Int, n: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, eps: Float) {
        let invN = 1 / Float(n)
        for r in 0..<rows {
            let xr = x + r * ldx, yr = y + r * ldy
            let mean = sum(xr, n) * invN
            let m = V(repeating: mean)
            var v0 = V(), v1 = V()
            var i = 0
            while i + 16 <= n {
                let d0 = load(xr, i) - m, d1 = load(xr, i + 8) - m
                v0 += d0 * d0; v1 += d1 * d1; i += 16
            }
            if i + 8 <= n { let d = load(xr, i) - m; v0 += d * d; i += 8 }
            var ss = (v0 + v1).sum()
            while i < n { let d = xr[i] - mean; ss += d * d; i += 1 }
            let rstd = 1 / (ss * invN + eps).squareRoot()
            let s = V(repeating: rstd)
            i = 0
            while i + 8 <= n {
                store((load(xr, i) - m) * s * load(weight, i) + load(bias, i), yr, i)
                i += 8
            }
            while i < n { yr[i] = (xr[i] - mean) * rstd * weight[i] + bias[i]; i += 1 }
        }
    }

    /// Softmax numerators of each row in place, e^(x − max), with 1/Σ of each row written to
    /// `inverseSums` (the caller scales the product with v by it, one row of hd instead of T).
    static func softmaxNumerators(_ x: UnsafeMutablePointer<Float>, rows: Int, n: Int, ld: Int,
                                  inverseSums: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xr = x + r * ld
            var mx = V(repeating: -.infinity)
            var i = 0
            while i + 8 <= n { mx = pointwiseMaxFast(mx, load(xr, i)); i += 8 }
            var m = -Float.infinity
            for l in 0..<8 { m = max(m, mx[l]) }
            while i < n { m = max(m, xr[i]); i += 1 }
            let mv = V(repeating: m)
            var acc = V()
            i = 0
            while i + 8 <= n {
                let e = VectorMath.exp(load(xr, i) - mv)
                store(e, xr, i); acc += e; i += 8
            }
            var s = acc.sum()
            if i < n {
                var tail = V(repeating: -.infinity)
                for j in i..<n { tail[j - i] = xr[j] - m }
                let e = VectorMath.exp(tail)
                for j in i..<n { xr[j] = e[j - i]; s += e[j - i] }
            }
            inverseSums[r] = 1 / s
        }
    }

    /// Softmax of each row in place: e^(x − max) / Σ e^(x − max).
    static func softmax(_ x: UnsafeMutablePointer<Float>, rows: Int, n: Int, ld: Int) {
        var inv: Float = 0
        for r in 0..<rows {
            let xr = x + r * ld
            softmaxNumerators(xr, rows: 1, n: n, ld: ld, inverseSums: &inv)
            scaleRow(xr, n, by: inv)
        }
    }

    /// x[0..<n] *= s.
    @inline(__always)
    static func scaleRow(_ x: UnsafeMutablePointer<Float>, _ n: Int, by s: Float) {
        let sv = V(repeating: s)
        var i = 0
        while i + 8 <= n { store(load(x, i) * sv, x, i); i += 8 }
        while i < n { x[i] *= s; i += 1 }
    }

    @inline(__always)
    static func pointwiseMaxFast(_ a: V, _ b: V) -> V { a.replacing(with: b, where: b .> a) }

    /// Exact (erf) GELU in place on `n` floats.
    static func gelu(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n { store(VectorMath.gelu(load(x, i)), x, i); i += 8 }
        if i < n {
            var t = V()
            for j in i..<n { t[j - i] = x[j] }
            let g = VectorMath.gelu(t)
            for j in i..<n { x[j] = g[j - i] }
        }
    }

    /// `f` in place on `n` floats, 8 lanes at a time.
    @inline(__always)
    static func map(_ x: UnsafeMutablePointer<Float>, _ n: Int, _ f: (V) -> V) {
        var i = 0
        while i + 8 <= n { store(f(load(x, i)), x, i); i += 8 }
        if i < n {
            var t = V()
            for j in i..<n { t[j - i] = x[j] }
            let g = f(t)
            for j in i..<n { x[j] = g[j - i] }
        }
    }

    /// The MLP activation in place on `n` floats (SwiGLU's gating is `swiglu`, not this).
    static func activate(_ a: ViTConfig.Activation, _ x: UnsafeMutablePointer<Float>, _ n: Int) {
        switch a {
        case .gelu, .swiglu: gelu(x, n)
        case .geluTanh: map(x, n, VectorMath.geluTanh)
        case .quickGelu: map(x, n, VectorMath.quickGelu)
        case .relu: for i in 0..<n { x[i] = max(x[i], 0) }
        }
    }

    /// y[i] = SiLU(gate[i]) · value[i] for `n` floats (SwiGLU, gate first).
    static func swiglu(gate: UnsafePointer<Float>, value: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n { store(VectorMath.silu(load(gate, i)) * load(value, i), y, i); i += 8 }
        while i < n { y[i] = gate[i] / (1 + expf(-gate[i])) * value[i]; i += 1 }
    }

    /// tanh in place on `n` floats (the pre-logits activation: a few values per image, so libm's).
    static func tanh(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { x[i] = tanhf(x[i]) }
    }

    /// x[r, :] += y[r, :] (· gamma when given), for `rows` rows of width `n`.
    static func addResidual(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, rows: Int, n: Int,
                            gamma: UnsafePointer<Float>?) {
        for r in 0..<rows {
            let xr = x + r * n, yr = y + r * n
            var i = 0
            if let g = gamma {
                while i + 8 <= n { store(load(xr, i) + load(yr, i) * load(g, i), xr, i); i += 8 }
                while i < n { xr[i] += yr[i] * g[i]; i += 1 }
            } else {
                while i + 8 <= n { store(load(xr, i) + load(yr, i), xr, i); i += 8 }
                while i < n { xr[i] += yr[i]; i += 1 }
            }
        }
    }

    /// Fills `rows` rows of width `n` (ldc apart) with `bias`.
    static func fillRows(_ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, n: Int, bias: UnsafePointer<Float>) {
        for r in 0..<rows { (c + r * ldc).update(from: bias, count: n) }
    }

    /// out[:] = mean over `rows` rows of width `n` (accumulated in Double, rounded once).
    static func meanRows(_ x: UnsafePointer<Float>, rows: Int, n: Int, into out: UnsafeMutablePointer<Float>) {
        for j in 0..<n {
            var s = 0.0
            for r in 0..<rows { s += Double(x[r * n + j]) }
            out[j] = Float(s / Double(rows))
        }
    }
}
