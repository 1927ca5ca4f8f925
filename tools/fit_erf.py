"""Fits the rational approximation of erf that ViTModel's vectorised GELU uses, and checks it in float32.

    erf(z) ≈ z · P(z²) / Q(z²) on 0 ≤ z ≤ 4 (|z| > 4 is clamped: erf(4) rounds to 1 in float32),
    P of degree 6 and Q of degree 5 in z², Q(0) = 1.

Fit: linearised least squares on Chebyshev-clustered points, reweighted towards minimax (Lawson), reference
erf from Python's math.erf (double). Prints the float32 coefficients (highest degree first, as the Swift
Horner loops use them) and the worst absolute error of the float32 evaluation on [-5, 5].

Run: tools/.venv/bin/python tools/fit_erf.py
"""
import math
import numpy as np

Z_MAX, N, ITERS = 4.0, 40001, 60
f32 = np.float32


def horner32(coefs, v):
    r = np.full_like(v, f32(coefs[0]), dtype=np.float32)
    for c in coefs[1:]:
        r = (r * v + f32(c)).astype(np.float32)
    return r


def fit(np_, nq):
    z = Z_MAX / 2 + Z_MAX / 2 * np.cos(np.linspace(np.pi, 0, N))
    y = np.array([math.erf(v) for v in z])
    s = z * z
    q = np.zeros(nq); q[0] = 1
    lw = np.ones_like(z)
    best = None
    for _ in range(ITERS):
        qv = np.polynomial.polynomial.polyval(s, q)
        a = np.hstack([np.stack([z * s ** k for k in range(np_)], 1),
                       np.stack([-y * s ** k for k in range(1, nq)], 1)])
        w = (np.sqrt(lw) / np.abs(qv))[:, None]
        sol, *_ = np.linalg.lstsq(a * w, y * w[:, 0], rcond=None)
        p, q = sol[:np_], np.concatenate([[1], sol[np_:]])
        err = z * np.polynomial.polynomial.polyval(s, p) / np.polynomial.polynomial.polyval(s, q) - y
        m = np.abs(err).max()
        if best is None or m < best[2]:
            best = (p.copy(), q.copy(), m)
        lw = lw * (np.abs(err) / m) ** 0.5 + 1e-12
        lw /= lw.mean()
    return best


def main():
    p, q, e = fit(7, 6)
    zs = np.linspace(-5, 5, 500001).astype(np.float32)
    zc = np.clip(zs, -Z_MAX, Z_MAX).astype(np.float32)
    s32 = (zc * zc).astype(np.float32)
    r = (zc * horner32(p[::-1], s32) / horner32(q[::-1], s32)).astype(np.float32)
    ref = np.array([math.erf(float(v)) for v in zs])
    print(f"fit error (double) {e:.3e}; float32 evaluation, worst |error| {np.abs(r - ref).max():.3e}")
    print("P (z^12 ... z^0):", ", ".join(repr(float(f32(v))) for v in p[::-1]))
    print("Q (z^10 ... z^0):", ", ".join(repr(float(f32(v))) for v in q[::-1]))


if __name__ == "__main__":
    main()
