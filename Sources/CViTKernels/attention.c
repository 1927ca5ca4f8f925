// Attention of one (image, head) a strip of 8 query rows at a time: scores for the strip (8 × T, in L1),
// softmax numerators and 1/Σ in place, then the product with V, each row scaled by its 1/Σ in the store.
// K and V are packed into panels once per head, like weights, so both products run on the GEMM kernels.
#include "vit_kernels.h"
#include <math.h>
#if defined(__x86_64__)
#include "math512.h"
#include "math256.h"
#endif

#define STRIP 8

#if defined(__x86_64__)
int vk_gemm_f32_avx512_plain(int m, int n, int k, const float *a, long lda, const float *b, long ldb, float *c,
                             long ldc, const vk_epilogue *ep);
#endif

/// Whether P·V reads V in place (AVX-512, a head width of whole vectors) instead of packing it.
static int v_in_place(int isa, int hd) { return isa == VK_ISA_AVX512 && hd % 16 == 0; }

static int round16(int n) { return (n + 15) / 16 * 16; }

size_t vk_attention_scratch(int T, int hd) {
    size_t f32 = vk_packed_f32_count(T, hd) + vk_packed_f32_count(hd, T) + (size_t)STRIP * round16(T) + 16;
    // bf16: packed K and V (16-bit), the fp32 score strip, the bf16 strips of P and q (rounded up to 16 floats).
    size_t bf = (vk_packed_bf16_count(T, hd) + vk_packed_bf16_count(hd, T)) / 2 + (size_t)STRIP * round16(T)
        + (size_t)STRIP * round16((T + 1) / 2) + (size_t)STRIP * round16((hd + 1) / 2) + 16;
    return f32 > bf ? f32 : bf;
}

/// Prefetches `rows` rows of `bytes` bytes from `p` (rows `ld` bytes apart) towards L2.
static void prefetch_rows(const char *p, int rows, long bytes, long ld) {
    for (int r = 0; r < rows; r++)
        for (long o = 0; o < bytes; o += 64) __builtin_prefetch(p + r * ld + o, 0, 2);
}

/// Before strip `i` (of `strips`, starting at query row r, `rows` rows): the next strip's query rows, and the
/// i-th share of the next head's K and V rows (`v_off` bytes after its K). Rows of `row` bytes, `ld` bytes apart.
static void prefetch_ahead(const char *q, const char *next_k, long v_off, int T, long row, long ld, int r, int rows,
                           int r1, int i, int strips) {
    if (r + rows < r1) prefetch_rows(q + (r + rows) * ld, r1 - r - rows < STRIP ? r1 - r - rows : STRIP, row, ld);
    if (!next_k) return;
    int per = (T + strips - 1) / strips, t0 = i * per, n = T - t0 < per ? T - t0 : per;
    if (n <= 0) return;
    prefetch_rows(next_k + t0 * ld, n, row, ld);
    prefetch_rows(next_k + v_off + t0 * ld, n, row, ld);
}

#if defined(__x86_64__)
/// The largest of n floats.
static inline __attribute__((always_inline)) VK512 float row_max512(const float *x, int n) {
    __m512 mx = _mm512_set1_ps(-INFINITY);
    int j = 0;
    for (; j + 16 <= n; j += 16) mx = _mm512_max_ps(mx, _mm512_loadu_ps(x + j));
    __mmask16 tail = (__mmask16)((1u << (n - j)) - 1);
    if (j < n) mx = _mm512_mask_max_ps(mx, tail, mx, _mm512_maskz_loadu_ps(tail, x + j));
    return _mm512_reduce_max_ps(mx);
}

/// e^(x − max) of each of `rows` rows of n values in place; 1/Σ of each row into inv.
static VK512 void softmax512(float *s, long ld, int rows, int n, float *inv) {
    for (int r = 0; r < rows; r++) {
        float *x = s + r * ld;
        int j;
        __mmask16 tail = (__mmask16)((1u << (n % 16)) - 1);
        __m512 m = _mm512_set1_ps(row_max512(x, n)), acc = _mm512_setzero_ps();
        for (j = 0; j + 16 <= n; j += 16) {
            __m512 e = vk_exp512(_mm512_sub_ps(_mm512_loadu_ps(x + j), m));
            _mm512_storeu_ps(x + j, e);
            acc = _mm512_add_ps(acc, e);
        }
        if (j < n) {
            __m512 e = _mm512_maskz_mov_ps(tail, vk_exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, x + j), m)));
            _mm512_mask_storeu_ps(x + j, tail, e);
            acc = _mm512_add_ps(acc, e);
        }
        inv[r] = 1.0f / _mm512_reduce_add_ps(acc);
    }
}

#define VKBF16A __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx512bf16,avx2,fma")))

/// e^x for the bf16 softmax: the numerators are rounded to bfloat16 (8 significant bits) right after, so a
/// degree-4 polynomial (relative error < 4e-5, a hundredth of bf16's rounding) replaces expf's degree 6.
static inline __attribute__((always_inline)) VKBF16A __m512 exp_bf16_512(__m512 x) {
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, S512(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, S512(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, S512(-2.12194440e-4f), r);
    __m512 p = S512(1.0f / 24);
    p = _mm512_fmadd_ps(p, r, S512(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, S512(0.5f));
    p = _mm512_fmadd_ps(p, r, S512(1.0f));
    p = _mm512_fmadd_ps(p, r, S512(1.0f));
    return _mm512_scalef_ps(p, n);
}

/// The bf16 attention's softmax: e^(x − max) of each row of the score strip, rounded to bfloat16 into p (row
/// stride ldp, the pad column of an odd n zeroed), and 1/Σ of the Float32 values into inv.
static VKBF16A void softmax_bf16_512(const float *s, long ld, int rows, int n, uint16_t *p, long ldp, float *inv) {
    for (int r = 0; r < rows; r++) {
        const float *x = s + r * ld;
        uint16_t *pr = p + r * ldp;
        int j;
        __mmask16 tail = (__mmask16)((1u << (n % 16)) - 1);
        __m512 m = _mm512_set1_ps(row_max512(x, n)), acc = _mm512_setzero_ps();
        for (j = 0; j < n; j += 16) {
            __mmask16 k = n - j >= 16 ? (__mmask16)0xFFFF : tail;
            __m512 e = _mm512_maskz_mov_ps(k, exp_bf16_512(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + j), m)));
            _mm256_mask_storeu_epi16(pr + j, k, (__m256i)_mm512_cvtneps_pbh(e));
            acc = _mm512_add_ps(acc, e);
        }
        if (n & 1) pr[n] = 0;
        inv[r] = 1.0f / _mm512_reduce_add_ps(acc);
    }
}

static VK256 void softmax256(float *s, long ld, int rows, int n, float *inv) {
    for (int r = 0; r < rows; r++) {
        float *x = s + r * ld;
        float m = -INFINITY;
        __m256 mx = _mm256_set1_ps(-INFINITY);
        int j = 0;
        for (; j + 8 <= n; j += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(x + j));
        float lanes[8];
        _mm256_storeu_ps(lanes, mx);
        for (int l = 0; l < 8; l++) m = lanes[l] > m ? lanes[l] : m;
        for (int t = j; t < n; t++) m = x[t] > m ? x[t] : m;
        __m256 mv = _mm256_set1_ps(m), acc = _mm256_setzero_ps();
        for (j = 0; j + 8 <= n; j += 8) {
            __m256 e = vk_exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), mv));
            _mm256_storeu_ps(x + j, e);
            acc = _mm256_add_ps(acc, e);
        }
        _mm256_storeu_ps(lanes, acc);
        float sum = 0;
        for (int l = 0; l < 8; l++) sum += lanes[l];
        if (j < n) {
            for (int l = 0; l < 8; l++) lanes[l] = j + l < n ? x[j + l] - m : -INFINITY;
            _mm256_storeu_ps(lanes, vk_exp256(_mm256_loadu_ps(lanes)));
            for (int l = 0; j + l < n; l++) { x[j + l] = lanes[l]; sum += lanes[l]; }
        }
        inv[r] = 1.0f / sum;
    }
}
#endif

int vk_attention(int isa, int T, int hd, int r0, int r1, const float *q, const float *k, const float *v, long ld,
                 float scale, float *o, long ldo, float *scratch, int pack, const float *next_k) {
#if defined(__x86_64__)
    int have = vk_cpu_isa();
    if (!((isa == VK_ISA_AVX512 && (have & VK_ISA_AVX512)) || (isa == VK_ISA_AVX2 && (have & VK_ISA_AVX2)))) return -1;
    float *pk = scratch, *pv = pk + vk_packed_f32_count(T, hd), *s = pv + vk_packed_f32_count(hd, T);
    float *inv = s + (size_t)STRIP * round16(T);
    int direct = v_in_place(isa, hd);
    if (pack) {
        vk_pack_f32(k, T, hd, ld, 1, pk);               // scores: q · Kᵀ, K's rows are the output columns
        if (!direct) vk_pack_f32(v, hd, T, 1, ld, pv);  // output: P · V, V's columns are the output columns
    }
    vk_epilogue scores = {0, 0, 0, scale, VK_ACT_NONE, 0, 0};
    vk_epilogue out = {0, 0, inv, 1.0f, VK_ACT_NONE, 0, 0};
    long lds = round16(T);
    int strips = (r1 - r0 + STRIP - 1) / STRIP;
    for (int r = r0; r < r1; r += STRIP) {
        int rows = r1 - r < STRIP ? r1 - r : STRIP;
        prefetch_ahead((const char *)q, (const char *)next_k, (v - k) * 4, T, hd * 4, ld * 4, r, rows, r1,
                       (r - r0) / STRIP, strips);
        vk_gemm_f32(isa, rows, T, hd, q + r * ld, ld, pk, 0, vk_panels(T), s, lds, &scores);
        if (isa == VK_ISA_AVX512) softmax512(s, lds, rows, T, inv); else softmax256(s, lds, rows, T, inv);
        if (direct) vk_gemm_f32_avx512_plain(rows, hd, T, s, lds, v, ld, o + r * ldo, ldo, &out);
        else vk_gemm_f32(isa, rows, hd, T, s, lds, pv, 0, vk_panels(hd), o + r * ldo, ldo, &out);
    }
    return 0;
#else
    (void)isa; (void)T; (void)hd; (void)r0; (void)r1; (void)q; (void)k; (void)v; (void)ld; (void)scale; (void)o;
    (void)ldo; (void)scratch; (void)pack; (void)next_k;
    return -1;
#endif
}

#if defined(__x86_64__)
int vk_pack_bf16_rows(const uint16_t *b, int n, int k, long ld, int across, uint16_t *packed);
#endif

/// vk_attention_bf16 from Float32 q, K, V (`in_bf16` 0: rounded here) or from rows already bfloat16 (1).
static int attention_bf16(int T, int hd, int r0, int r1, const void *q, const void *k, const void *v, long ld,
                          int in_bf16, float scale, void *o, long ldo, int o_bf16, float *scratch, int pack,
                          const void *next_k) {
#if defined(__x86_64__)
    if (!(vk_cpu_isa() & VK_ISA_AVX512_BF16)) return -1;
    uint16_t *pk = (uint16_t *)scratch, *pv = pk + vk_packed_bf16_count(T, hd);
    float *s = scratch + (vk_packed_bf16_count(T, hd) + vk_packed_bf16_count(hd, T)) / 2;
    float *inv = s + (size_t)STRIP * round16(T);
    uint16_t *ph = (uint16_t *)(inv + 16), *qh = ph + (size_t)STRIP * round16((T + 1) / 2) * 2;
    long ldp = (T + 1) / 2 * 2, ldq = (hd + 1) / 2 * 2, lds = round16(T), es = in_bf16 ? 2 : 4;
    if (pack && in_bf16) {
        vk_pack_bf16_rows((const uint16_t *)k, T, hd, ld, 0, pk);  // scores: q · Kᵀ, pairs along the head width
        vk_pack_bf16_rows((const uint16_t *)v, hd, T, ld, 1, pv);  // output: P · V, pairs along the tokens
    } else if (pack) {
        vk_pack_bf16_strided((const float *)k, T, hd, ld, 1, pk);
        vk_pack_bf16_strided((const float *)v, hd, T, 1, ld, pv);
    }
    vk_epilogue scores = {0, 0, 0, scale, VK_ACT_NONE, 0, 0};
    vk_epilogue out = {0, 0, inv, 1.0f, VK_ACT_NONE, 0, o_bf16};
    int strips = (r1 - r0 + STRIP - 1) / STRIP;
    for (int r = r0; r < r1; r += STRIP) {
        int rows = r1 - r < STRIP ? r1 - r : STRIP;
        prefetch_ahead((const char *)q, (const char *)next_k, ((const char *)v - (const char *)k), T, hd * es, ld * es,
                       r, rows, r1, (r - r0) / STRIP, strips);
        float *orow = o_bf16 ? (float *)((uint16_t *)o + r * ldo) : (float *)o + r * ldo;
        if (in_bf16) {
            vk_gemm_bf16(rows, T, hd, (const uint16_t *)q + r * ld, ld, pk, 0, vk_panels(T), s, lds, &scores);
        } else {
            vk_to_bf16_rows((const float *)q + r * ld, ld, rows, hd, qh, ldq);
            vk_gemm_bf16(rows, T, hd, qh, ldq, pk, 0, vk_panels(T), s, lds, &scores);
        }
        softmax_bf16_512(s, lds, rows, T, ph, ldp, inv);
        vk_gemm_bf16(rows, hd, T, ph, ldp, pv, 0, vk_panels(hd), orow, ldo, &out);
    }
    return 0;
#else
    (void)T; (void)hd; (void)r0; (void)r1; (void)q; (void)k; (void)v; (void)ld; (void)in_bf16; (void)scale; (void)o;
    (void)ldo; (void)o_bf16; (void)scratch; (void)pack; (void)next_k;
    return -1;
#endif
}

int vk_attention_bf16(int T, int hd, int r0, int r1, const float *q, const float *k, const float *v, long ld,
                      float scale, void *o, long ldo, int o_bf16, float *scratch, int pack, const float *next_k) {
    return attention_bf16(T, hd, r0, r1, q, k, v, ld, 0, scale, o, ldo, o_bf16, scratch, pack, next_k);
}

int vk_attention_bf16_in(int T, int hd, int r0, int r1, const uint16_t *q, const uint16_t *k, const uint16_t *v,
                         long ld, float scale, void *o, long ldo, int o_bf16, float *scratch, int pack,
                         const uint16_t *next_k) {
    if ((ld & 1) || (hd & 1)) return -1;  // q's rows must be whole pairs for the bf16 product
    return attention_bf16(T, hd, r0, r1, q, k, v, ld, 1, scale, o, ldo, o_bf16, scratch, pack, next_k);
}
