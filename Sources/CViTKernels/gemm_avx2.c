// fp32 products on AVX2 + FMA (CPUs without AVX-512): 6 rows × 16 columns (12 accumulators of 8 lanes)
// per micro-tile, over the same packed panels as the AVX-512 kernels.
#include "vit_kernels.h"
#if defined(__x86_64__)
#include "math256.h"

static inline __attribute__((always_inline)) VK256 __m256i vk_mask256(int valid) {
    __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(valid), idx);
}

/// The fused store of a 6 × 16 tile, kept out of line so that the epilogue's constants do not take the
/// registers the inner loop's 12 accumulators need (AVX2 has 16).
static __attribute__((noinline)) VK256 void store_tile(__m256 acc[6][2], int mr, float *c, long ldc, int cols,
                                                       const float *bias, const float *gamma, const vk_epilogue *ep,
                                                       int row) {
    for (int j = 0; j < 2; j++) {
        int valid = cols - 8 * j;
        if (valid <= 0) break;
        __m256i m = vk_mask256(valid);
        __m256 bv = bias ? _mm256_maskload_ps(bias + 8 * j, m) : _mm256_setzero_ps();
        __m256 gv = gamma ? _mm256_maskload_ps(gamma + 8 * j, m) : _mm256_set1_ps(1.0f);
        for (int r = 0; r < mr; r++) {
            __m256 v = acc[r][j];
            if (ep->alpha != 1.0f) v = _mm256_mul_ps(v, _mm256_set1_ps(ep->alpha));
            if (ep->row_scale) v = _mm256_mul_ps(v, _mm256_set1_ps(ep->row_scale[row + r]));
            v = _mm256_add_ps(v, bv);
            if (ep->act) v = vk_act256(ep->act, v);
            float *p = c + r * ldc + 8 * j;
            if (ep->residual) v = _mm256_fmadd_ps(gv, v, _mm256_maskload_ps(p, m));
            _mm256_maskstore_ps(p, m, v);
        }
    }
}

static inline __attribute__((always_inline)) VK256 void tile_f32(int mr, int k, const float *a, long lda,
                                                               const float *b, int wp, float *c, long ldc, int cols,
                                                               const float *bias, const float *gamma,
                                                               const vk_epilogue *ep, int row) {
    __m256 acc[6][2];
    for (int r = 0; r < 6; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int kk = 0; kk < k; kk++) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        b += wp;
        for (int r = 0; r < 6; r++) {
            if (r >= mr) break;
            __m256 x = _mm256_broadcast_ss(a + r * lda + kk);
            acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    store_tile(acc, mr, c, ldc, cols, bias, gamma, ep, row);
}

// One out-of-line function per tile height (see gemm_avx512.c).
#define TILE(MR) \
    static __attribute__((noinline)) VK256 void tile_##MR(int k, const float *a, long lda, const float *b, int wp, \
                                                         float *c, long ldc, int cols, const float *bias, \
                                                         const float *gamma, const vk_epilogue *ep, int row) { \
        tile_f32(MR, k, a, lda, b, wp, c, ldc, cols, bias, gamma, ep, row); \
    }
TILE(1) TILE(2) TILE(3) TILE(4) TILE(5) TILE(6)
#undef TILE

static VK256 void tile_dispatch(int mr, int k, const float *a, long lda, const float *b, int wp, float *c, long ldc,
                                int cols, const float *bias, const float *gamma, const vk_epilogue *ep, int row) {
    switch (mr) {
#define TILE(MR) case MR: tile_##MR(k, a, lda, b, wp, c, ldc, cols, bias, gamma, ep, row); break;
        TILE(1) TILE(2) TILE(3) TILE(4) TILE(5) TILE(6)
    default: break;
    }
}

VK256 int vk_gemm_f32_avx2(int m, int n, int k, const float *a, long lda, const float *packed, int p0, int p1,
                           float *c, long ldc, const vk_epilogue *ep) {
    for (int p = p0; p < p1; p++) {
        int c0 = p * VK_PANEL, cols = n - c0 < VK_PANEL ? n - c0 : VK_PANEL, wp = (cols + 15) / 16 * 16;
        const float *panel = packed + (size_t)c0 * k;
        for (int s = 0; s < wp; s += 16) {
            int sc = cols - s < 16 ? cols - s : 16;
            const float *bias = ep->bias ? ep->bias + c0 + s : 0, *gamma = ep->gamma ? ep->gamma + c0 + s : 0;
            for (int r = 0; r < m; r += 6) {
                int mr = m - r < 6 ? m - r : 6;
                tile_dispatch(mr, k, a + r * lda, lda, panel + s, wp, c + r * ldc + c0 + s, ldc, sc, bias, gamma, ep, r);
            }
        }
    }
    return 0;
}
#endif
