// bf16 products on AVX512_BF16: VDPBF16PS adds two bf16 products per fp32 lane, so each step of the inner
// loop covers two values of k (the weights are packed in pairs along k, A is broadcast a pair at a time).
#include "vit_kernels.h"
#if defined(__x86_64__)
#include "math512.h"
#include "tile512.h"

#define VKBF16 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx512bf16,avx2,fma")))

/// The store of a tile as bfloat16 (`out_bf16`: the next product's input, rounded once; no residual).
static inline __attribute__((always_inline)) VKBF16 void store_tile_bf16(__m512 acc[8][3], int mr, int nv, uint16_t *c,
                                                                        long ldc, int cols, const float *bias,
                                                                        const vk_epilogue *ep, int row) {
    for (int j = 0; j < nv; j++) {
        int valid = cols - 16 * j;
        __mmask16 m = valid >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << valid) - 1);
        __m512 bv = bias ? _mm512_maskz_loadu_ps(m, bias + 16 * j) : _mm512_setzero_ps();
        for (int r = 0; r < 8; r++) {
            if (r >= mr) break;
            __m512 v = vk_apply512(acc[r][j], bv, ep, row + r);
            _mm256_mask_storeu_epi16(c + r * ldc + 16 * j, m, (__m256i)_mm512_cvtneps_pbh(v));
        }
    }
}

static inline __attribute__((always_inline)) VKBF16 void tile_bf16(int mr, int nv, int k2, const uint32_t *a,
                                                                 long lda2, const uint32_t *b, int wp, float *c,
                                                                 long ldc, int cols, const float *bias,
                                                                 const float *gamma, const vk_epilogue *ep, int row) {
    __m512 acc[8][3];
    for (int r = 0; r < 8; r++)
        for (int j = 0; j < 3; j++) acc[r][j] = _mm512_setzero_ps();
    for (int kk = 0; kk < k2; kk++) {
        __m512bh b0 = (__m512bh)_mm512_load_si512(b);
        __m512bh b1 = nv > 1 ? (__m512bh)_mm512_load_si512(b + 16) : b0;
        __m512bh b2 = nv > 2 ? (__m512bh)_mm512_load_si512(b + 32) : b0;
        b += wp;
        for (int r = 0; r < 8; r++) {
            if (r >= mr) break;
            __m512bh x = (__m512bh)_mm512_set1_epi32((int)a[r * lda2 + kk]);
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], x, b0);
            if (nv > 1) acc[r][1] = _mm512_dpbf16_ps(acc[r][1], x, b1);
            if (nv > 2) acc[r][2] = _mm512_dpbf16_ps(acc[r][2], x, b2);
        }
    }
    // The epilogue walks the tile in a loop, so it reads the sums from memory: copied there once, not kept
    // there throughout (which had the compiler zero the array with a memset call per tile).
    __m512 out[8][3];
    for (int r = 0; r < mr; r++)
        for (int j = 0; j < nv; j++) out[r][j] = acc[r][j];
    if (ep->out_bf16) store_tile_bf16(out, mr, nv, (uint16_t *)c, ldc, cols, bias, ep, row);
    else vk_store_tile512(out, mr, nv, c, ldc, cols, bias, gamma, ep, row);
}

// One out-of-line function per tile shape: each keeps its accumulators in registers, and an unoptimised
// (debug) build keeps one tile's locals per stack frame instead of all 24 shapes' at once.
#define TILE(MR, NV) \
    static __attribute__((noinline)) VKBF16 void tile_##MR##_##NV(int k2, const uint32_t *a, long lda2, const uint32_t *b, int wp, float *c, long ldc, int cols, const float *bias, const float *gamma, const vk_epilogue *ep, int row) { \
        tile_bf16(MR, NV, k2, a, lda2, b, wp, c, ldc, cols, bias, gamma, ep, row); \
    }
#define TILES(MR) TILE(MR, 1) TILE(MR, 2) TILE(MR, 3)
TILES(1) TILES(2) TILES(3) TILES(4) TILES(5) TILES(6) TILES(7) TILES(8)
#undef TILE
#define TILE(MR, NV) case (MR) * 4 + (NV): tile_##MR##_##NV(k2, a, lda2, b, wp, c, ldc, cols, bias, gamma, ep, row); break;

static VKBF16 void tile_dispatch(int mr, int nv, int k2, const uint32_t *a, long lda2, const uint32_t *b, int wp,
                                 float *c, long ldc, int cols, const float *bias, const float *gamma,
                                 const vk_epilogue *ep, int row) {
    switch (mr * 4 + nv) {
        TILES(1) TILES(2) TILES(3) TILES(4) TILES(5) TILES(6) TILES(7) TILES(8)
    default: break;
    }
}

static VKBF16 void gemm(int m, int n, int k, const uint16_t *a, long lda, const uint16_t *packed, int p0, int p1,
                        float *c, long ldc, const vk_epilogue *ep) {
    int k2 = (k + 1) / 2;
    const uint32_t *a32 = (const uint32_t *)a, *b32 = (const uint32_t *)packed;
    int mc = vk_row_block(k2, 4);  // rows whose slice of A stays in L2 while every panel passes over it
    for (int r0 = 0; r0 < m; r0 += mc) {
        int r1 = m - r0 < mc ? m : r0 + mc;
        for (int p = p0; p < p1; p++) {
            int c0 = p * VK_PANEL, cols = n - c0 < VK_PANEL ? n - c0 : VK_PANEL, wp = (cols + 15) / 16 * 16;
            const uint32_t *b = b32 + (size_t)c0 * k2;
            const float *bias = ep->bias ? ep->bias + c0 : 0, *gamma = ep->gamma ? ep->gamma + c0 : 0;
            for (int r = r0; r < r1; r += 8) {
                int mr = r1 - r < 8 ? r1 - r : 8;
                // A bf16 output is addressed in 16-bit units (the tile's store casts it back).
                float *ct = ep->out_bf16 ? (float *)((uint16_t *)c + r * ldc + c0) : c + r * ldc + c0;
                tile_dispatch(mr, wp / 16, k2, a32 + r * (lda / 2), lda / 2, b, wp, ct, ldc, cols, bias, gamma, ep, r);
            }
        }
    }
}

/// vk_pack_bf16_strided for B whose pairs along k are adjacent floats (k_stride 1: a Linear's weight, or K's
/// rows in attention): each column's k values are rounded 16 at a time, then stored a pair (32 bits) per row.
static VKBF16 void pack_pairs_adjacent(const float *b, int n, int k, long col_stride, uint16_t *packed) {
    int k2 = (k + 1) / 2;
    uint32_t tmp[256];
    for (int p = 0; p < vk_panels(n); p++) {
        int c0 = p * VK_PANEL, wd = n - c0 < VK_PANEL ? n - c0 : VK_PANEL, wp = (wd + 15) / 16 * 16;
        uint32_t *dst = (uint32_t *)(packed + (size_t)c0 * k2 * 2);
        int k32 = wd == wp ? k / 32 * 32 : 0;  // 16 columns × 16 pairs at a time through a transpose
        for (int j0 = 0; j0 < wp; j0 += 16) {
            for (int kk = 0; kk < k32; kk += 32) {
                __m512 r[16];
                for (int i = 0; i < 16; i++) {
                    const float *src = b + (long)(c0 + j0 + i) * col_stride + kk;
                    r[i] = (__m512)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + 16), _mm512_loadu_ps(src));
                }
                transpose16(r);
                for (int i = 0; i < 16; i++) _mm512_storeu_ps((float *)(dst + (size_t)(kk / 2 + i) * wp + j0), r[i]);
            }
        }
        for (int j = 0; j < wp; j++) {
            const float *src = b + (long)(c0 + j) * col_stride;
            for (int k0 = k32; k0 < k; k0 += 512) {  // the rest: 256 pairs at a time
                int kn = k - k0 < 512 ? k - k0 : 512, pn = (kn + 1) / 2;
                if (j < wd) {
                    uint16_t *t16 = (uint16_t *)tmp;
                    int i = 0;
                    for (; i + 16 <= kn; i += 16)
                        _mm256_storeu_si256((__m256i *)(t16 + i), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(src + k0 + i)));
                    if (i < kn) {
                        __mmask16 m = (__mmask16)((1u << (kn - i)) - 1);
                        _mm256_mask_storeu_epi16(t16 + i, m, (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + k0 + i)));
                    }
                    if (kn & 1) t16[kn] = 0;
                } else {
                    for (int i = 0; i < pn; i++) tmp[i] = 0;
                }
                for (int i = 0; i < pn; i++) dst[(size_t)(k0 / 2 + i) * wp + j] = tmp[i];
            }
        }
    }
}

/// vk_pack_bf16_strided for B whose columns are adjacent floats (col_stride 1: V's rows in attention): two
/// rows of k are rounded 16 columns at a time and interleaved into pairs.
static VKBF16 void pack_pairs_across_rows(const float *b, int n, int k, long k_stride, uint16_t *packed) {
    int k2 = (k + 1) / 2;
    for (int p = 0; p < vk_panels(n); p++) {
        int c0 = p * VK_PANEL, wd = n - c0 < VK_PANEL ? n - c0 : VK_PANEL, wp = (wd + 15) / 16 * 16;
        uint32_t *dst = (uint32_t *)(packed + (size_t)c0 * k2 * 2);
        for (int kp = 0; kp < k2; kp++) {
            const float *r0 = b + (long)(2 * kp) * k_stride + c0, *r1 = r0 + k_stride;
            int second = 2 * kp + 1 < k;
            for (int j = 0; j < wp; j += 16) {
                int valid = wd - j;
                __mmask16 m = valid >= 16 ? (__mmask16)0xFFFF : valid > 0 ? (__mmask16)((1u << valid) - 1) : 0;
                __m512i lo = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, r0 + j)));
                __m512i hi = second ? _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, r1 + j)))
                                    : _mm512_setzero_si512();
                _mm512_storeu_si512(dst + (size_t)kp * wp + j, _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16)));
            }
        }
    }
}

/// Packs bf16 rows already rounded: K's (`across` 0: column j of B is row j of b, its k values along the row,
/// so pairs are adjacent 32-bit words: 16 columns × 16 words at a time through a transpose) or V's (`across`
/// 1: column j of B is column j of b, k along the rows: two rows interleaved into pairs). Rows `ld` apart.
static VKBF16 void pack_bf16_rows(const uint16_t *b, int n, int k, long ld, int across, uint16_t *packed) {
    int k2 = (k + 1) / 2;
    for (int p = 0; p < vk_panels(n); p++) {
        int c0 = p * VK_PANEL, wd = n - c0 < VK_PANEL ? n - c0 : VK_PANEL, wp = (wd + 15) / 16 * 16;
        uint32_t *dst = (uint32_t *)(packed + (size_t)c0 * k2 * 2);
        if (across) {
            for (int kp = 0; kp < k2; kp++) {
                const uint16_t *r0 = b + (long)(2 * kp) * ld + c0, *r1 = r0 + ld;
                int second = 2 * kp + 1 < k;
                for (int j = 0; j < wp; j += 16) {
                    int valid = wd - j;
                    __mmask16 m = valid >= 16 ? (__mmask16)0xFFFF : valid > 0 ? (__mmask16)((1u << valid) - 1) : 0;
                    __m512i lo = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, r0 + j));
                    __m512i hi = second ? _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, r1 + j)) : _mm512_setzero_si512();
                    _mm512_storeu_si512(dst + (size_t)kp * wp + j, _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16)));
                }
            }
            continue;
        }
        int whole = k / 2 / 16 * 16;  // 32-bit words of a row that come 16 at a time
        for (int j0 = 0; j0 < wp; j0 += 16) {
            for (int w0 = 0; w0 < whole; w0 += 16) {
                __m512 r[16];
                for (int i = 0; i < 16; i++)
                    r[i] = j0 + i < wd ? _mm512_loadu_ps((const float *)(b + (long)(c0 + j0 + i) * ld) + w0)
                                                 : _mm512_setzero_ps();
                transpose16(r);
                for (int i = 0; i < 16; i++) _mm512_storeu_ps((float *)(dst + (size_t)(w0 + i) * wp + j0), r[i]);
            }
            for (int w = whole; w < k2; w++)  // the rest word by word (an odd k's last pair padded with zero)
                for (int j = j0; j < j0 + 16; j++) {
                    const uint16_t *row = b + (long)(c0 + j) * ld;
                    uint32_t lo = j < wd ? row[2 * w] : 0, hi = j < wd && 2 * w + 1 < k ? row[2 * w + 1] : 0;
                    dst[(size_t)w * wp + j] = lo | hi << 16;
                }
        }
    }
}

/// n floats rounded to bfloat16, 16 at a time, the tail masked.
static VKBF16 void to_bf16(const float *x, size_t n, uint16_t *y) {
    size_t j = 0;
    for (; j + 16 <= n; j += 16) _mm256_storeu_si256((__m256i *)(y + j), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(x + j)));
    if (j < n) {
        __mmask16 m = (__mmask16)((1u << (n - j)) - 1);
        _mm256_mask_storeu_epi16(y + j, m, (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, x + j)));
    }
}
#endif

int vk_gemm_bf16(int m, int n, int k, const uint16_t *a, long lda, const uint16_t *packed, int p0, int p1, float *c,
                 long ldc, const vk_epilogue *ep) {
#if defined(__x86_64__)
    if (!(vk_cpu_isa() & VK_ISA_AVX512_BF16) || (lda & 1)) return -1;
    gemm(m, n, k, a, lda, packed, p0, p1, c, ldc, ep);
    return 0;
#else
    return -1;
#endif
}

int vk_pack_bf16_fast(const float *b, int n, int k, long col_stride, long k_stride, uint16_t *packed) {
#if defined(__x86_64__)
    if (!(vk_cpu_isa() & VK_ISA_AVX512_BF16)) return -1;
    if (k_stride == 1) { pack_pairs_adjacent(b, n, k, col_stride, packed); return 0; }
    if (col_stride == 1) { pack_pairs_across_rows(b, n, k, k_stride, packed); return 0; }
#endif
    (void)b; (void)n; (void)k; (void)col_stride; (void)k_stride; (void)packed;
    return -1;
}

int vk_pack_bf16_rows(const uint16_t *b, int n, int k, long ld, int across, uint16_t *packed) {
#if defined(__x86_64__)
    if (!(vk_cpu_isa() & VK_ISA_AVX512_BF16)) return -1;
    pack_bf16_rows(b, n, k, ld, across, packed);
    return 0;
#else
    (void)b; (void)n; (void)k; (void)ld; (void)across; (void)packed;
    return -1;
#endif
}

void vk_to_bf16(const float *x, size_t n, uint16_t *y) {
#if defined(__x86_64__)
    if (vk_cpu_isa() & VK_ISA_AVX512_BF16) { to_bf16(x, n, y); return; }
#endif
    for (size_t j = 0; j < n; j++) y[j] = vk_bf16(x[j]);
}

void vk_to_bf16_rows(const float *x, long ldx, int rows, int k, uint16_t *y, long ldy) {
    for (int r = 0; r < rows; r++) {
        vk_to_bf16(x + r * ldx, (size_t)k, y + r * ldy);
        if (k & 1) y[r * ldy + k] = 0;
    }
}
