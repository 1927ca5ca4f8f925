// fp32 products on AVX-512: 8 rows × up to 48 columns (24 accumulators) per micro-tile, the whole
// inner dimension at once (a ViT's k ≤ a few thousand keeps a panel in L2), epilogue fused into the store.
#include "vit_kernels.h"
#if defined(__x86_64__)
#include "math512.h"
#include "tile512.h"

/// 16 weights of a panel row as Float32: stored so (`half` 0), or IEEE half widened as they load (`half` 1).
static inline __attribute__((always_inline)) VK512 __m512 load_b(const void *b, long i, int half) {
    return half ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)b + i)))
                : _mm512_loadu_ps((const float *)b + i);
}

/// One micro-tile: mr (≤ 8) rows of A times nv (≤ 3) 16-column vectors of B, B's rows `wp` elements apart
/// (Float32, or f16 storage with `half`), through the fused store.
static inline __attribute__((always_inline)) VK512 void tile(int mr, int nv, int half, int k, const float *a, long lda,
                                                           const void *b, int wp, float *c, long ldc, int cols,
                                                           const float *bias, const float *gamma,
                                                           const vk_epilogue *ep, int row) {
    __m512 acc[8][3];
    for (int r = 0; r < 8; r++)
        for (int j = 0; j < 3; j++) acc[r][j] = _mm512_setzero_ps();
    for (long kk = 0; kk < k; kk++) {
        long o = kk * wp;  // B's row stride: a packed panel's width, or a plain matrix's leading dimension
        __m512 b0 = load_b(b, o, half), b1 = nv > 1 ? load_b(b, o + 16, half) : b0, b2 = nv > 2 ? load_b(b, o + 32, half) : b0;
        for (int r = 0; r < 8; r++) {
            if (r >= mr) break;
            __m512 x = _mm512_set1_ps(a[r * lda + kk]);
            acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
            if (nv > 1) acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
            if (nv > 2) acc[r][2] = _mm512_fmadd_ps(x, b2, acc[r][2]);
        }
    }
    // The epilogue walks the tile in a loop, so it reads the sums from memory: copied there once, not kept
    // there throughout (which had the compiler zero the array with a memset call per tile).
    __m512 out[8][3];
    for (int r = 0; r < mr; r++)
        for (int j = 0; j < nv; j++) out[r][j] = acc[r][j];
    vk_store_tile512(out, mr, nv, c, ldc, cols, bias, gamma, ep, row);
}

// One out-of-line function per tile shape and weight format: each keeps its accumulators in registers, and an
// unoptimised (debug) build keeps one tile's locals per stack frame instead of all 48 shapes' at once.
#define TILE(MR, NV, H) \
    static __attribute__((noinline)) VK512 void tile_##MR##_##NV##_##H(int k, const float *a, long lda, const void *b, \
        int wp, float *c, long ldc, int cols, const float *bias, const float *gamma, const vk_epilogue *ep, int row) { \
        tile(MR, NV, H, k, a, lda, b, wp, c, ldc, cols, bias, gamma, ep, row); \
    }
#define TILES(MR) TILE(MR, 1, 0) TILE(MR, 2, 0) TILE(MR, 3, 0) TILE(MR, 1, 1) TILE(MR, 2, 1) TILE(MR, 3, 1)
TILES(1) TILES(2) TILES(3) TILES(4) TILES(5) TILES(6) TILES(7) TILES(8)
#undef TILE
#define TILE(MR, NV, H) case ((MR) * 4 + (NV)) * 2 + (H): tile_##MR##_##NV##_##H(k, a, lda, b, wp, c, ldc, cols, bias, gamma, ep, row); break;

static VK512 void tile_dispatch(int mr, int nv, int half, int k, const float *a, long lda, const void *b, int wp,
                                float *c, long ldc, int cols, const float *bias, const float *gamma,
                                const vk_epilogue *ep, int row) {
    switch ((mr * 4 + nv) * 2 + half) {
        TILES(1) TILES(2) TILES(3) TILES(4) TILES(5) TILES(6) TILES(7) TILES(8)
    default: break;
    }
}

/// The panels p0..<p1 of a packed product, rows in blocks whose slice of A (mc × k) stays in L2 while every panel
/// passes over it; the weights Float32 or (`half`) IEEE half.
static VK512 void gemm_panels(int m, int n, int k, const float *a, long lda, const void *packed, int half, int p0,
                              int p1, float *c, long ldc, const vk_epilogue *ep) {
    int mc = vk_row_block(k, sizeof(float));
    for (int r0 = 0; r0 < m; r0 += mc) {
        int r1 = m - r0 < mc ? m : r0 + mc;
        for (int p = p0; p < p1; p++) {
            int c0 = p * VK_PANEL, cols = n - c0 < VK_PANEL ? n - c0 : VK_PANEL, wp = (cols + 15) / 16 * 16;
            const void *b = half ? (const void *)((const uint16_t *)packed + (size_t)c0 * k)
                                 : (const void *)((const float *)packed + (size_t)c0 * k);
            const float *bias = ep->bias ? ep->bias + c0 : 0, *gamma = ep->gamma ? ep->gamma + c0 : 0;
            for (int r = r0; r < r1; r += 8) {
                int mr = r1 - r < 8 ? r1 - r : 8;
                tile_dispatch(mr, wp / 16, half, k, a + r * lda, lda, b, wp, c + r * ldc + c0, ldc, cols, bias, gamma,
                              ep, r);
            }
        }
    }
}

VK512 int vk_gemm_f32_avx512(int m, int n, int k, const float *a, long lda, const float *packed, int p0, int p1,
                             float *c, long ldc, const vk_epilogue *ep) {
    gemm_panels(m, n, k, a, lda, packed, 0, p0, p1, c, ldc, ep);
    return 0;
}

VK512 int vk_gemm_f16w_avx512(int m, int n, int k, const float *a, long lda, const uint16_t *packed, int p0, int p1,
                              float *c, long ldc, const vk_epilogue *ep) {
    gemm_panels(m, n, k, a, lda, packed, 1, p0, p1, c, ldc, ep);
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
            tile_dispatch(mr, cols / 16, 0, k, a + r * lda, lda, b + c0, (int)ldb, c + r * ldc + c0, ldc, cols, bias, gamma,
                          ep, r);
        }
        c0 += cols;
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
