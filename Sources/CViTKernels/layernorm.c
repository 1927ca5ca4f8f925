// LayerNorm of token rows on AVX-512: mean, then the biased variance about the mean (two passes over the
// row, as precise as PyTorch's), then the normalised row stored as Float32 and/or bfloat16.
#include "vit_kernels.h"
#include <math.h>
#if defined(__x86_64__)
#include "math512.h"

#define VKLN __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx512bf16,avx2,fma")))

static VKLN void layernorm512(const float *x, long ldx, int rows, int n, const float *w, const float *b, float eps,
                              float *y, long ldy, uint16_t *h, long ldh, int bf16) {
    for (int r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        __m512 s = _mm512_setzero_ps();
        int j = 0;
        for (; j + 16 <= n; j += 16) s = _mm512_add_ps(s, _mm512_loadu_ps(xr + j));
        __mmask16 tail = (__mmask16)((1u << (n - j)) - 1);
        if (j < n) s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(tail, xr + j));
        __m512 mean = _mm512_set1_ps(_mm512_reduce_add_ps(s) / (float)n), v = _mm512_setzero_ps();
        for (j = 0; j + 16 <= n; j += 16) {
            __m512 d = _mm512_sub_ps(_mm512_loadu_ps(xr + j), mean);
            v = _mm512_fmadd_ps(d, d, v);
        }
        if (j < n) {
            __m512 d = _mm512_maskz_sub_ps(tail, _mm512_maskz_loadu_ps(tail, xr + j), mean);
            v = _mm512_fmadd_ps(d, d, v);
        }
        __m512 rstd = _mm512_set1_ps(1.0f / sqrtf(_mm512_reduce_add_ps(v) / (float)n + eps));
        for (j = 0; j < n; j += 16) {
            __mmask16 m = n - j >= 16 ? (__mmask16)0xFFFF : tail;
            __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, xr + j), mean);
            __m512 o = _mm512_fmadd_ps(_mm512_mul_ps(d, rstd), _mm512_maskz_loadu_ps(m, w + j), _mm512_maskz_loadu_ps(m, b + j));
            if (y) _mm512_mask_storeu_ps(y + r * ldy + j, m, o);
            if (bf16) _mm256_mask_storeu_epi16(h + r * ldh + j, m, (__m256i)_mm512_cvtneps_pbh(o));
        }
        if (bf16 && (n & 1)) h[r * ldh + n] = 0;
    }
}
#endif

int vk_layernorm(const float *x, long ldx, int rows, int n, const float *w, const float *b, float eps, float *y,
                 long ldy, uint16_t *h, long ldh) {
#if defined(__x86_64__)
    int isa = vk_cpu_isa();
    if (!(isa & VK_ISA_AVX512) || (h && !(isa & VK_ISA_AVX512_BF16)) || n <= 0) return -1;
    if (!h && (isa & VK_ISA_AVX512_BF16)) { layernorm512(x, ldx, rows, n, w, b, eps, y, ldy, 0, 0, 0); return 0; }
    if (!h) return -1;  // AVX-512 without BF16: the caller's own LayerNorm
    layernorm512(x, ldx, rows, n, w, b, eps, y, ldy, h, ldh, 1);
    return 0;
#else
    (void)x; (void)ldx; (void)rows; (void)n; (void)w; (void)b; (void)eps; (void)y; (void)ldy; (void)h; (void)ldh;
    return -1;
#endif
}
