// Vectorised exp, erf and activations on 512 Float32 lanes: the same polynomials as ViTRuntime's
// VectorMath (Cephes expf after Cody–Waite reduction; erf as z·P(z²)/Q(z²) from tools/fit_erf.py).
#ifndef VK_MATH512_H
#define VK_MATH512_H
#include <immintrin.h>
#include "vit_kernels.h"

#define VK512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")))
#define S512(x) _mm512_set1_ps(x)

/// e^x lane-wise: x = n·ln2 + r (Cody–Waite), the Cephes expf polynomial in r, then 2^n by VSCALEFPS, which
/// takes results past the Float32 range to 0 or +∞ by itself (no clamp).
static inline __attribute__((always_inline)) VK512 __m512 vk_exp512(__m512 x) {
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, S512(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, S512(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, S512(-2.12194440e-4f), r);
    __m512 p = S512(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, S512(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, S512(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, S512(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, S512(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, S512(5.0000001201e-1f));
    __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), S512(1.0f));
    return _mm512_scalef_ps(y, n);
}

static inline __attribute__((always_inline)) VK512 __m512 vk_erf512(__m512 z) {
    __m512 zc = _mm512_min_ps(_mm512_max_ps(z, S512(-3.9f)), S512(3.9f));
    __m512 s = _mm512_mul_ps(zc, zc);
    __m512 p = S512(-1.3665190756739776e-08f);
    p = _mm512_fmadd_ps(p, s, S512(4.780195922649e-06f));
    p = _mm512_fmadd_ps(p, s, S512(0.00038268257048912346f));
    p = _mm512_fmadd_ps(p, s, S512(0.0038396213203668594f));
    p = _mm512_fmadd_ps(p, s, S512(0.05433272197842598f));
    p = _mm512_fmadd_ps(p, s, S512(0.1847134381532669f));
    p = _mm512_fmadd_ps(p, s, S512(1.128379225730896f));
    __m512 q = S512(6.400607526302338e-05f);
    q = _mm512_fmadd_ps(q, s, S512(0.0013095852918922901f));
    q = _mm512_fmadd_ps(q, s, S512(0.015453662723302841f));
    q = _mm512_fmadd_ps(q, s, S512(0.11382733285427094f));
    q = _mm512_fmadd_ps(q, s, S512(0.497031569480896f));
    q = _mm512_fmadd_ps(q, s, S512(1.0f));
    __m512 r = _mm512_div_ps(_mm512_mul_ps(zc, p), q);
    r = _mm512_min_ps(_mm512_max_ps(r, S512(-1.0f)), S512(1.0f));
    // erf rounds to ±1 in Float32 from |z| = 3.9 on.
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(z, S512(3.9f), _CMP_GE_OQ), _mm512_mask_blend_ps(_mm512_cmp_ps_mask(z, S512(-3.9f), _CMP_LE_OQ), r, S512(-1.0f)), S512(1.0f));
}

static inline __attribute__((always_inline)) VK512 __m512 vk_sigmoid512(__m512 x) {
    return _mm512_div_ps(S512(1.0f), _mm512_add_ps(S512(1.0f), vk_exp512(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

/// The activation `act` (VK_ACT_*) lane-wise.
static inline __attribute__((always_inline)) VK512 __m512 vk_act512(int act, __m512 x) {
    switch (act) {
    case VK_ACT_GELU: {
        __m512 h = _mm512_mul_ps(x, S512(0.5f));
        return _mm512_fmadd_ps(h, vk_erf512(_mm512_mul_ps(x, S512(0.70710678118654752f))), h);
    }
    case VK_ACT_GELU_TANH: {
        __m512 u = _mm512_mul_ps(_mm512_mul_ps(x, S512(0.7978845608028654f)), _mm512_fmadd_ps(_mm512_mul_ps(x, x), S512(0.044715f), S512(1.0f)));
        return _mm512_mul_ps(x, vk_sigmoid512(_mm512_mul_ps(u, S512(2.0f))));
    }
    case VK_ACT_QUICK_GELU: return _mm512_mul_ps(x, vk_sigmoid512(_mm512_mul_ps(x, S512(1.702f))));
    case VK_ACT_RELU: return _mm512_max_ps(x, _mm512_setzero_ps());
    default: return x;
    }
}
#endif
