// fp32 products on AVX-512: 8 rows × up to 48 columns (24 accumulators) per micro-tile, the whole
// inner dimension at once (a ViT's k ≤ a few thousand keeps a panel in L2), epilogue fused into the store.
#include "vit_kernels.h"
#if defined(__x86_64__)
#include "math512.h"
#include "tile512.h"

static inline __attribute__((always_inline)) VK512 void tile_f32(int mr, int nv, int k, const float *a, long lda,
                                                               const float *b, int wp, float *c, long ldc, int cols,
                                                               const float *bias, const float *gamma, const vk_epilogue *ep, int row) {
    __m512 acc[8][3];
    for (int r = 0; r < 8; r++)
        for (int j = 0; j < 3; j++) acc[r][j] = _mm512_setzero_ps();
    for (int kk = 0; kk < k; kk++) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = nv > 1 ? _mm512_loadu_ps(b + 16) : b0, b2 = nv > 2 ? _mm512_loadu_ps(b + 32) : b0;
        b += wp;  // B's row stride: a packed panel's width, or a plain matrix's leading dimension
        for (int r = 0; r < 8; r++) {
            if (r >= mr) break;
            __m512 x = _mm512_set1_ps(a[r * lda + kk]);
            acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
            if (nv > 1) acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
            if (nv > 2) acc[r][2] = _mm512_fmadd_ps(x, b2, acc[r][2]);
        }
    }
    vk_store_tile512(acc, mr, nv, c, ldc, cols, bias, gamma, ep, row);
}

/// As tile_f32 with the weights stored as IEEE half precision (f16 storage), widened lane by lane as they load.
static inline __attribute__((always_inline)) VK512 void tile_f16w(int mr, int nv, int k, const float *a, long lda,
                                                                const uint16_t *b, int wp, float *c, long ldc,
                                                                int cols, const float *bias, const float *gamma,
                                                                const vk_epilogue *ep, int row) {
    __m512 acc[8][3];
    for (int r = 0; r < 8; r++)
        for (int j = 0; j < 3; j++) acc[r][j] = _mm512_setzero_ps();
    for (int kk = 0; kk < k; kk++) {
        __m512 b0 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)b));
        __m512 b1 = nv > 1 ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(b + 16))) : b0;
        __m512 b2 = nv > 2 ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(b + 32))) : b0;
        b += wp;
        for (int r = 0; r < 8; r++) {
            if (r >= mr) break;
            __m512 x = _mm512_set1_ps(a[r * lda + kk]);
            acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
            if (nv > 1) acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
            if (nv > 2) acc[r][2] = _mm512_fmadd_ps(x, b2, acc[r][2]);
        }
    }
    vk_store_tile512(acc, mr, nv, c, ldc, cols, bias, gamma, ep, row);
}

// One out-of-line function per tile shape: each keeps its accumulators in registers, and an unoptimised
// (debug) build keeps one tile's locals per stack frame instead of all 24 shapes' at once.
#define TILE(MR, NV) \
    static __attribute__((noinline)) VK512 void tile_##MR##_##NV(int k, const float *a, long lda, const float *b, int wp, float *c, long ldc, int cols, const float *bias, const float *gamma, const vk_epilogue *ep, int row) { \
        tile_f32(MR, NV, k, a, lda, b, wp, c, ldc, cols, bias, gamma, ep, row); \
    }
#define TILES(MR) TILE(MR, 1) TILE(MR, 2) TILE(MR, 3)
TILES(1) TILES(2) TILES(3) TILES(4) TILES(5) TILES(6) TILES(7) TILES(8)
#undef TILE
#define TILE(MR, NV) case (MR) * 4 + (NV): tile_##MR##_##NV(k, a, lda, b, wp, c, ldc, cols, bias, gamma, ep, row); break;

static VK512 void tile_dispatch(int mr, int nv, int k, const float *a, long lda, const float *b, int wp, float *c,
                                long ldc, int cols, const float *bias, const float *gamma, const vk_epilogue *ep, int row) {
    switch (mr * 4 + nv) {
        TILES(1) TILES(2) TILES(3) TILES(4) TILES(5) TILES(6) TILES(7) TILES(8)
    default: break;
    }
}

VK512 int vk_gemm_f32_avx512(int m, int n, int k, const float *a, long lda, const float *packed, int p0, int p1,
                             float *c, long ldc, const vk_epilogue *ep) {
    // Rows in blocks whose slice of A (mc × k) stays in L2 while every panel passes over it.
    int mc = vk_row_block(k, sizeof(float));
    for (int r0 = 0; r0 < m; r0 += mc) {
        int r1 = m - r0 < mc ? m : r0 + mc;
        for (int p = p0; p < p1; p++) {
            int c0 = p * VK_PANEL, cols = n - c0 < VK_PANEL ? n - c0 : VK_PANEL, wp = (cols + 15) / 16 * 16;
            const float *b = packed + (size_t)c0 * k;
            const float *bias = ep->bias ? ep->bias + c0 : 0, *gamma = ep->gamma ? ep->gamma + c0 : 0;
            for (int r = r0; r < r1; r += 8) {
                int mr = r1 - r < 8 ? r1 - r : 8;
                tile_dispatch(mr, wp / 16, k, a + r * lda, lda, b, wp, c + r * ldc + c0, ldc, cols, bias, gamma, ep, r);
            }
        }
    }
    return 0;
}

VK512 int vk_gemm_f32_avx512_plain(int m, int n, int k, const float *a, long lda, const float *b, long ldb, float *c,
                                   long ldc, const vk_epilogue *ep) {
    if (n % 16 || ldb > 0x7FFFFFFF) return -1;
    for (int c0 = 0; c0 < n;) {
        int left = n - c0, cols = left == 64 || left == 32 ? 32 : left >= 48 ? 48 : 16;
        const float *bias = ep->bias ? ep->bias + c0 : 0, *gamma = ep->gamma ? ep->gamma + c0 : 0;
        for (int r = 0; r < m; r += 8) {
            int mr = m - r < 8 ? m - r : 8;
            tile_dispatch(mr, cols / 16, k, a + r * lda, lda, b + c0, (int)ldb, c + r * ldc + c0, ldc, cols, bias, gamma,
                          ep, r);
        }
        c0 += cols;
    }
    return 0;
}
#define TILE16(MR, NV) \
    static __attribute__((noinline)) VK512 void tile16_##MR##_##NV(int k, const float *a, long lda, const uint16_t *b, \
        int wp, float *c, long ldc, int cols, const float *bias, const float *gamma, const vk_epilogue *ep, int row) { \
        tile_f16w(MR, NV, k, a, lda, b, wp, c, ldc, cols, bias, gamma, ep, row); \
    }
#define TILES16(MR) TILE16(MR, 1) TILE16(MR, 2) TILE16(MR, 3)
TILES16(1) TILES16(2) TILES16(3) TILES16(4) TILES16(5) TILES16(6) TILES16(7) TILES16(8)
#undef TILE16
#undef TILES16

VK512 int vk_gemm_f16w_avx512(int m, int n, int k, const float *a, long lda, const uint16_t *packed, int p0, int p1,
                              float *c, long ldc, const vk_epilogue *ep) {
    int mc = vk_row_block(k, sizeof(float));
    for (int r0 = 0; r0 < m; r0 += mc) {
        int r1 = m - r0 < mc ? m : r0 + mc;
        for (int p = p0; p < p1; p++) {
            int c0 = p * VK_PANEL, cols = n - c0 < VK_PANEL ? n - c0 : VK_PANEL, wp = (cols + 15) / 16 * 16;
            const uint16_t *b = packed + (size_t)c0 * k;
            const float *bias = ep->bias ? ep->bias + c0 : 0, *gamma = ep->gamma ? ep->gamma + c0 : 0;
            for (int r = r0; r < r1; r += 8) {
                int mr = r1 - r < 8 ? r1 - r : 8;
                const float *ar = a + r * lda;
                float *cr = c + r * ldc + c0;
                switch (mr * 4 + wp / 16) {
#define CASE16(MR, NV) case (MR) * 4 + (NV): tile16_##MR##_##NV(k, ar, lda, b, wp, cr, ldc, cols, bias, gamma, ep, r); break;
#define CASES16(MR) CASE16(MR, 1) CASE16(MR, 2) CASE16(MR, 3)
                    CASES16(1) CASES16(2) CASES16(3) CASES16(4) CASES16(5) CASES16(6) CASES16(7) CASES16(8)
#undef CASE16
#undef CASES16
                default: break;
                }
            }
        }
    }
    return 0;
}

/// Rounds n floats to IEEE half precision (nearest even), 16 at a time.
VK512 void vk_to_f16_avx512(const float *x, size_t n, uint16_t *y) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256((__m256i *)(y + i), _mm512_cvtps_ph(_mm512_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm256_mask_storeu_epi16(y + i, m, _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
}

/// vk_pack_f32 for B whose columns are contiguous along k (k_stride 1: a Linear's weight, K's rows): 16 columns
/// × 16 values of k at a time through a register transpose; the ragged edges element by element.
VK512 void vk_pack_f32_avx512(const float *b, int n, int k, long col_stride, float *packed) {
    for (int p = 0; p < vk_panels(n); p++) {
        int c0 = p * VK_PANEL, wd = n - c0 < VK_PANEL ? n - c0 : VK_PANEL, wp = (wd + 15) / 16 * 16;
        float *dst = packed + (size_t)c0 * k;
        for (int j0 = 0; j0 < wp; j0 += 16) {
            int cols = wd - j0 < 16 ? wd - j0 : 16;
            int kk = 0;
            if (cols == 16) {
                for (; kk + 16 <= k; kk += 16) {
                    __m512 r[16];
                    for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(b + (long)(c0 + j0 + i) * col_stride + kk);
                    transpose16(r);
                    for (int i = 0; i < 16; i++) _mm512_storeu_ps(dst + (size_t)(kk + i) * wp + j0, r[i]);
                }
            }
            for (; kk < k; kk++) {
                float *row = dst + (size_t)kk * wp + j0;
                for (int j = 0; j < 16; j++) row[j] = j < cols ? b[(long)(c0 + j0 + j) * col_stride + kk] : 0;
            }
        }
    }
}
#endif
