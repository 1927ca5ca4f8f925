/// Vectorised exp and exact GELU on 8 Float32 lanes, accurate to a few units in the last place.
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

    /// Lane-wise |x| (clears the sign bit).
    @inline(__always)
    static func magnitude(_ x: V) -> V {
        unsafeBitCast(unsafeBitCast(x, to: I.self) & I(repeating: 0x7FFF_FFFF), to: V.self)
    }

    /// e^(x − lo) lane-wise, where `lo` is a correction kept out of `x` so that an exactly
    /// representable `x` (as the split square in `gelu`) loses nothing to rounding. Relative error ≤ 1e-7.
    ///
    /// Cody–Waite reduction x − lo = n·ln2 + r, then the Cephes expf polynomial; results below
    /// e^−87.3 are clamped to about 1e-38 (they only ever meet numbers near 1 here).
    @inline(__always)
    static func exp(_ x: V, minus lo: V = V(repeating: 0)) -> V {
        let xc = clamp(x, -87.33654, 88.37626)
        // Adding and subtracting 1.5·2^23 rounds to the nearest integer.
        let shifted = (xc - lo) * 1.44269504088896341 + 12582912.0
        let n = shifted - 12582912.0
        var r = xc - n * 0.693359375          // exact: ln2 high part has 9 significant bits
        r = r - n * -2.12194440e-4
        r = r - lo
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

    /// erfc(|x|·k) lane-wise, for k with an exact square `kSquared` (k = 1/√2, k² = ½ for GELU).
    ///
    /// erfc(z) = t·e^(−z² + P(t)), t = 1/(1 + z/2): the form of Numerical Recipes' `erfcc`, with P a
    /// degree-10 least-squares fit to log(erfc(z)/t) + z² on 0 ≤ z ≤ 10 in the centred variable
    /// t − 7/12 (fit by tools/fixtures_model.py's author with numpy; see docs/model.md). Relative error
    /// ≤ 3e-7 for every z. The square z² = k²·x² is split as k²·(xh² + (x − xh)(x + xh)) with xh
    /// holding 12 significant bits, so the rounding of z = x·k does not reach the exponent.
    @inline(__always)
    static func erfcOfMagnitude(_ x: V, k: Float, kSquared: Float) -> V {
        let ax = clamp(magnitude(x), 0, 10 / k)
        let t = 1 / (ax * (0.5 * k) + 1)
        let u = t - 0.58333333333333333
        var p = V(repeating: -0.1321883648633957)
        p = p * u + 0.14737600088119507
        p = p * u + 0.13767361640930176
        p = p * u + (-0.2459452748298645)
        p = p * u + (-0.05197475105524063)
        p = p * u + 0.2953169345855713
        p = p * u + (-0.034733496606349945)
        p = p * u + (-0.4074024558067322)
        p = p * u + 0.09069252759218216
        p = p * u + 1.3687371015548706
        p = p * u + (-0.5585953593254089)
        let xh = unsafeBitCast(unsafeBitCast(ax, to: I.self) & I(repeating: -4096), to: V.self)
        let hi = xh * xh * kSquared
        let lo = (ax - xh) * (ax + xh) * kSquared
        return t * exp(-hi, minus: lo - p)
    }

    /// Exact GELU, x·Φ(x) = ½·x·(1 + erf(x/√2)), lane-wise, as ½·x·erfc(|x|/√2) for x < 0 and
    /// x − ½·x·erfc(x/√2) for x ≥ 0 (no cancellation on either side). Relative error ≤ 5e-7.
    @inline(__always)
    static func gelu(_ x: V) -> V {
        let e = erfcOfMagnitude(x, k: 0.70710678118654752, kSquared: 0.5)
        let halfE = x * 0.5 * e
        return (x - halfE).replacing(with: halfE, where: x .< 0)
    }

    /// erf(x) lane-wise, as sign(x)·(1 − erfc(|x|)); absolute error ≤ 2e-7 (used by tests and
    /// by nothing on the hot path).
    @inline(__always)
    static func erf(_ x: V) -> V {
        let y = 1 - erfcOfMagnitude(x, k: 1, kSquared: 1)
        return y.replacing(with: -y, where: x .< 0)
    }
}
