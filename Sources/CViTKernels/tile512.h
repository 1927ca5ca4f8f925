// The fused store of an AVX-512 micro-tile (fp32 and bf16 products share it).
#ifndef VK_TILE512_H
#define VK_TILE512_H
#include "math512.h"

/// The epilogue up to the residual add: alpha, the row's scale, the bias `bv`, the activation.
static inline __attribute__((always_inline)) VK512 __m512 vk_apply512(__m512 v, __m512 bv, const vk_epilogue *ep, int row) {
    if (ep->alpha != 1.0f) v = _mm512_mul_ps(v, _mm512_set1_ps(ep->alpha));
    if (ep->row_scale) v = _mm512_mul_ps(v, _mm512_set1_ps(ep->row_scale[row]));
    v = _mm512_add_ps(v, bv);
    if (ep->act) v = vk_act512(ep->act, v);
    return v;
}

/// Stores acc[0..<mr][0..<nv] into C (row stride ldc) through the epilogue: `cols` (≤ 16·nv) columns are
/// valid; `bias` and `gamma` are already offset to the tile's first column; `row` is the tile's first row
/// (for row_scale).
static inline __attribute__((always_inline)) VK512 void vk_store_tile512(__m512 acc[8][3], int mr, int nv, float *c,
                                                                        long ldc, int cols, const float *bias,
                                                                        const float *gamma, const vk_epilogue *ep,
                                                                        int row) {
    for (int j = 0; j < nv; j++) {
        int valid = cols - 16 * j;
        __mmask16 m = valid >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << valid) - 1);
        __m512 bv = bias ? _mm512_maskz_loadu_ps(m, bias + 16 * j) : _mm512_setzero_ps();
        __m512 gv = gamma ? _mm512_maskz_loadu_ps(m, gamma + 16 * j) : _mm512_set1_ps(1.0f);
        for (int r = 0; r < 8; r++) {
            if (r >= mr) break;
            __m512 v = vk_apply512(acc[r][j], bv, ep, row + r);
            float *p = c + r * ldc + 16 * j;
            if (ep->residual) v = _mm512_fmadd_ps(gv, v, _mm512_maskz_loadu_ps(m, p));
            _mm512_mask_storeu_ps(p, m, v);
        }
    }
}
/// Transposes 16 rows of 16 floats in registers (unpack, shuffle, then two 128-bit lane exchanges).
static inline __attribute__((always_inline)) VK512 void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
        t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
        r[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
        r[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xdd);
    }
}
#endif
