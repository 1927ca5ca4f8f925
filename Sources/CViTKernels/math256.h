// Vectorised exp, erf and activations on 256 Float32 lanes: the same polynomials as ViTRuntime's
// VectorMath (Cephes expf after Cody–Waite reduction; erf as z·P(z²)/Q(z²) from tools/fit_erf.py).
#ifndef VK_MATH256_H
#define VK_MATH256_H
#include <immintrin.h>
#include "vit_kernels.h"

#define VK256 __attribute__((target("avx2,fma")))
#define S256(x) _mm256_set1_ps(x)

static inline __attribute__((always_inline)) VK256 __m256 vk_exp256(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, S256(-87.33654f)), S256(88.37626f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, S256(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, S256(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, S256(-2.12194440e-4f), r);
    __m256 p = S256(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, S256(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, S256(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, S256(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, S256(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, S256(5.0000001201e-1f));
    __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), S256(1.0f));
    // 2^n in two halves so n = 128 or -126 at the clamp limits stays finite and normal.
    __m256i ni = _mm256_cvtps_epi32(n), half = _mm256_srai_epi32(ni, 1);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(half, _mm256_set1_epi32(127)), 23));
    __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, half), _mm256_set1_epi32(127)), 23));
    return _mm256_mul_ps(_mm256_mul_ps(y, s1), s2);
}

static inline __attribute__((always_inline)) VK256 __m256 vk_erf256(__m256 z) {
    __m256 zc = _mm256_min_ps(_mm256_max_ps(z, S256(-3.9f)), S256(3.9f));
    __m256 s = _mm256_mul_ps(zc, zc);
    __m256 p = S256(-1.3665190756739776e-08f);
    p = _mm256_fmadd_ps(p, s, S256(4.780195922649e-06f));
    p = _mm256_fmadd_ps(p, s, S256(0.00038268257048912346f));
    p = _mm256_fmadd_ps(p, s, S256(0.0038396213203668594f));
    p = _mm256_fmadd_ps(p, s, S256(0.05433272197842598f));
    p = _mm256_fmadd_ps(p, s, S256(0.1847134381532669f));
    p = _mm256_fmadd_ps(p, s, S256(1.128379225730896f));
    __m256 q = S256(6.400607526302338e-05f);
    q = _mm256_fmadd_ps(q, s, S256(0.0013095852918922901f));
    q = _mm256_fmadd_ps(q, s, S256(0.015453662723302841f));
    q = _mm256_fmadd_ps(q, s, S256(0.11382733285427094f));
    q = _mm256_fmadd_ps(q, s, S256(0.497031569480896f));
    q = _mm256_fmadd_ps(q, s, S256(1.0f));
    __m256 r = _mm256_div_ps(_mm256_mul_ps(zc, p), q);
    r = _mm256_min_ps(_mm256_max_ps(r, S256(-1.0f)), S256(1.0f));
    // erf rounds to ±1 in Float32 from |z| = 3.9 on.
    return _mm256_blendv_ps(_mm256_blendv_ps(r, S256(-1.0f), _mm256_cmp_ps(z, S256(-3.9f), _CMP_LE_OQ)), S256(1.0f), _mm256_cmp_ps(z, S256(3.9f), _CMP_GE_OQ));
}

static inline __attribute__((always_inline)) VK256 __m256 vk_sigmoid256(__m256 x) {
    return _mm256_div_ps(S256(1.0f), _mm256_add_ps(S256(1.0f), vk_exp256(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

/// The activation `act` (VK_ACT_*) lane-wise.
static inline __attribute__((always_inline)) VK256 __m256 vk_act256(int act, __m256 x) {
    switch (act) {
    case VK_ACT_GELU: {
        __m256 h = _mm256_mul_ps(x, S256(0.5f));
        return _mm256_fmadd_ps(h, vk_erf256(_mm256_mul_ps(x, S256(0.70710678118654752f))), h);
    }
    case VK_ACT_GELU_TANH: {
        __m256 u = _mm256_mul_ps(_mm256_mul_ps(x, S256(0.7978845608028654f)), _mm256_fmadd_ps(_mm256_mul_ps(x, x), S256(0.044715f), S256(1.0f)));
        return _mm256_mul_ps(x, vk_sigmoid256(_mm256_mul_ps(u, S256(2.0f))));
    }
    case VK_ACT_QUICK_GELU: return _mm256_mul_ps(x, vk_sigmoid256(_mm256_mul_ps(x, S256(1.702f))));
    case VK_ACT_RELU: return _mm256_max_ps(x, _mm256_setzero_ps());
    default: return x;
    }
}
#endif
