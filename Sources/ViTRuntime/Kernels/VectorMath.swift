import ViTModel
/// Vectorised exp, erf and exact GELU on 8 Float32 lanes, accurate to a few units in the last place.
///
/// Written with plain multiply/add (no FMA libcalls) and compare-and-select instead of rounding
/// or min/max calls, so everything stays vector code on the x86-64 baseline (SSE2).
enum VectorMath {
    typealias V = SIMD8<Float>
    typealias I = SIMD8<Int32>

    /// Lane-wise clamp by compare-and-select (`SIMD.clamped` compiles to a scalar loop).
    @inline(__always)
    static func clamp(_ x: V, _ low: Float, _ high: Float) -> V {
        let l = V(repeating: low), h = V(repeating: high)
        return x.replacing(with: l, where: x .< l).replacing(with: h, where: x .> h)
    }

    /// e^x lane-wise, relative error ≤ 1e-7: Cody–Waite reduction x = n·ln2 + r, then the Cephes
    /// expf polynomial. Results below e^−87.3 are clamped to about 1e-38 (softmax adds them to 1).
    @inline(__always)
    static func exp(_ x: V) -> V {
        let xc = clamp(x, -87.33654, 88.37626)
        // Adding and subtracting 1.5·2^23 rounds to the nearest integer.
        let shifted = xc * 1.44269504088896341 + 12582912.0
        let n = shifted - 12582912.0
        var r = xc - n * 0.693359375          // exact: ln2's high part has 9 significant bits
        r = r - n * -2.12194440e-4
        var p = V(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let y = p * (r * r) + r + 1
        // 2^n from the integer sitting in the low mantissa bits of `shifted`, applied in two
        // halves so n = 128 or n = −126 at the clamp limits stays finite and normal.
        let bits = unsafeBitCast(shifted, to: I.self) &- 0x4B40_0000
        let half = bits &>> 1
        let s1 = unsafeBitCast((half &+ 127) &<< 23, to: V.self)
        let s2 = unsafeBitCast((bits &- half &+ 127) &<< 23, to: V.self)
        return y * s1 * s2
    }

    /// erf(z) lane-wise as z·P(z²)/Q(z²) on |z| < 3.9 (±1 beyond, where erf rounds to ±1):
    /// a rational fit with P of degree 6 and Q of degree 5 in z², made by tools/fit_erf.py (fit error
    /// 1.5e-9; the Float32 evaluation has absolute error ≤ 3.3e-7, a few units in the last place of 1).
    @inline(__always)
    static func erf(_ z: V) -> V {
        let zc = clamp(z, -4, 4)
        let s = zc * zc
        var p = V(repeating: -1.3665190756739776e-08)
        p = p * s + 4.780195922649e-06
        p = p * s + 0.00038268257048912346
        p = p * s + 0.0038396213203668594
        p = p * s + 0.05433272197842598
        p = p * s + 0.1847134381532669
        p = p * s + 1.128379225730896
        var q = V(repeating: 6.400607526302338e-05)
        q = q * s + 0.0013095852918922901
        q = q * s + 0.015453662723302841
        q = q * s + 0.11382733285427094
        q = q * s + 0.497031569480896
        q = q * s + 1
        // Exactly ±1 where erf rounds to ±1 in Float32 (|z| ≥ 3.9), and never beyond.
        let one = V(repeating: 1)
        let r = clamp(zc * p / q, -1, 1)
        return r.replacing(with: one, where: z .>= 3.9).replacing(with: -one, where: z .<= -3.9)
    }

    /// Exact GELU, x·Φ(x) = ½·x·(1 + erf(x/√2)), lane-wise. The error is that of `erf` scaled by ½·|x|:
    /// at most 2e-7 relative for x ≥ 0, and 1.7e-7·|x| absolute below.
    @inline(__always)
    static func gelu(_ x: V) -> V {
        let half = x * 0.5
        return half + half * erf(x * 0.70710678118654752)
    }

    /// σ(x) = 1/(1 + e^−x) lane-wise.
    @inline(__always)
    static func sigmoid(_ x: V) -> V { 1 / (1 + exp(-x)) }

    /// GELU with the tanh approximation, ½x(1 + tanh(√(2/π)(x + 0.044715x³))), written as x·σ(2u)
    /// (½(1 + tanh u) = σ(2u)).
    @inline(__always)
    static func geluTanh(_ x: V) -> V {
        let u = x * 0.7978845608028654 * (1 + 0.044715 * x * x)
        return x * sigmoid(2 * u)
    }

    /// QuickGELU, x·σ(1.702x) (OpenAI CLIP).
    @inline(__always)
    static func quickGelu(_ x: V) -> V { x * sigmoid(1.702 * x) }

    /// SiLU, x·σ(x) (SwiGLU's gate).
    @inline(__always)
    static func silu(_ x: V) -> V { x * sigmoid(x) }
}
