#ifndef VITKIT_KERNELS_H
#define VITKIT_KERNELS_H
// ViTKit's own compute kernels for the forward pass: matrix products on weights packed once into
// column panels, with the work around them fused into the store (bias, activation, residual), and
// attention computed a strip of query rows at a time. Each kernel exists for AVX-512 (fp32, and
// bf16 with AVX512_BF16 dot products) and AVX2 + FMA; the caller picks one by `vk_cpu_isa()` and
// keeps its portable path for CPUs with neither. Nothing here allocates or starts threads.
#include <stddef.h>
#include <stdint.h>

/// Instruction sets the kernels can use, as bits of `vk_cpu_isa()`.
enum {
    VK_ISA_AVX2 = 1,        ///< AVX2 + FMA (8-lane fp32 kernels)
    VK_ISA_AVX512 = 2,      ///< AVX-512 F/BW/DQ/VL (16-lane fp32 kernels)
    VK_ISA_AVX512_BF16 = 4  ///< AVX512_BF16 dot products (bf16 kernels)
};

/// The instruction sets this CPU and OS support (CPUID and XGETBV), as VK_ISA_* bits.
int vk_cpu_isa(void);

/// Columns per weight panel: a packed matrix is a run of panels of `VK_PANEL` output columns each (the last
/// one narrower, rounded up to 16 with zeros).
#define VK_PANEL 48

/// Rows of A the products take per pass over their panels: as many (a multiple of 8) as keep mc × k
/// elements of `elem` bytes within VK_ROW_BLOCK_BYTES (in L2 beside a panel), at least 8.
#ifndef VK_ROW_BLOCK_BYTES
#define VK_ROW_BLOCK_BYTES (640 * 1024)
#endif
static inline int vk_row_block(int k, int elem) {
    int mc = (int)(VK_ROW_BLOCK_BYTES / ((long)k * elem)) / 8 * 8;
    return mc < 8 ? 8 : mc;
}

/// Panels of an n-column product.
static inline int vk_panels(int n) { return (n + VK_PANEL - 1) / VK_PANEL; }

/// Floats a packed fp32 matrix of n output columns and inner dimension k takes.
size_t vk_packed_f32_count(int n, int k);
/// Packs B (element (kk, j) at b[j·col_stride + kk·k_stride]) into panels: for W[n×k] of a Linear, row-major,
/// col_stride = k and k_stride = 1; for V[k×n] row-major with row stride ld, col_stride = 1 and k_stride = ld.
void vk_pack_f32(const float *b, int n, int k, long col_stride, long k_stride, float *packed);

/// 16-bit units a packed bf16 matrix of n output columns and inner dimension k takes (k rounded up to even).
size_t vk_packed_bf16_count(int n, int k);
/// Packs W[n×k] (row-major, a Linear's weight) as bfloat16 (round to nearest even) into panels of pairs along k.
void vk_pack_bf16(const float *w, int n, int k, uint16_t *packed);
/// As `vk_pack_bf16` for B with element (kk, j) at b[j·col_stride + kk·k_stride] (see `vk_pack_f32`).
void vk_pack_bf16_strided(const float *b, int n, int k, long col_stride, long k_stride, uint16_t *packed);
/// One float rounded to bfloat16, to nearest even (a NaN stays a quiet NaN): the scalar rounding every path shares.
static inline uint16_t vk_bf16(float f) {
    union { float f; uint32_t u; } v = {f};
    if ((v.u & 0x7FFFFFFF) > 0x7F800000) return (uint16_t)((v.u >> 16) | 0x40);
    return (uint16_t)((v.u + 0x7FFF + ((v.u >> 16) & 1)) >> 16);
}
/// Rounds n floats to bfloat16, to nearest even (16 lanes at a time on AVX512_BF16).
void vk_to_bf16(const float *x, size_t n, uint16_t *y);
/// Rounds `rows` rows of k floats (row stride ldx) to bfloat16 rows of stride ldy (even, ≥ k), zero-padding
/// the odd column of an odd k.
void vk_to_bf16_rows(const float *x, long ldx, int rows, int k, uint16_t *y, long ldy);

/// LayerNorm of `rows` rows of n floats (row stride ldx): (x − mean)/√(var + eps)·w + b, the variance biased and
/// taken about the mean, into y (Float32, row stride ldy) when y is not NULL and into h (bfloat16, row stride ldh,
/// the pad column of an odd n zeroed) when h is not NULL. Returns -1 (nothing written) where this CPU lacks the
/// AVX-512 (and, for h, AVX512_BF16) kernel: the caller norms the rows itself.
int vk_layernorm(const float *x, long ldx, int rows, int n, const float *w, const float *b, float eps, float *y,
                 long ldy, uint16_t *h, long ldh);

/// Activations the store can apply after the bias.
enum { VK_ACT_NONE = 0, VK_ACT_GELU = 1, VK_ACT_GELU_TANH = 2, VK_ACT_QUICK_GELU = 3, VK_ACT_RELU = 4 };

/// What happens to each product value v before it is stored into C[r][j]:
/// v ← alpha·v · row_scale[r] + bias[j], then the activation, then C = v, or with `residual`
/// C += gamma[j]·v (gamma NULL means 1). NULL pointers are skipped. With `out_bf16` (bf16 products only, no
/// residual) C is bfloat16 (uint16_t, ldc counted in 16-bit units) and v is stored rounded to nearest even.
typedef struct {
    const float *bias;
    const float *gamma;
    const float *row_scale;
    float alpha;
    int act;
    int residual;
    int out_bf16;
} vk_epilogue;

/// C[m × panels p0..<p1] = epilogue(A[m×k] · B), B packed by `vk_pack_f32` for n columns; A row-major with
/// row stride lda, C row stride ldc (columns beyond n are never written). `isa` is VK_ISA_AVX512 or
/// VK_ISA_AVX2. Returns 0, or -1 for an isa this build or CPU cannot run (nothing written).
int vk_gemm_f32(int isa, int m, int n, int k, const float *a, long lda, const float *packed, int p0, int p1,
                float *c, long ldc, const vk_epilogue *ep);

/// As `vk_gemm_f32` from bf16 A (rows of stride lda, even, from `vk_to_bf16_rows`) and B packed by
/// `vk_pack_bf16`, with fp32 accumulation (AVX512_BF16 only; -1 otherwise).
int vk_gemm_bf16(int m, int n, int k, const uint16_t *a, long lda, const uint16_t *packed, int p0, int p1,
                 float *c, long ldc, const vk_epilogue *ep);

/// f16 storage: packs W[n×k] (a Linear's weight, row-major) like `vk_pack_f32` into `scratch`
/// (vk_packed_f32_count(n, k) floats), then rounds the panels to IEEE half precision into `packed` (as many 16-bit
/// units). Returns -1 (nothing written) without AVX-512.
int vk_pack_f16(const float *w, int n, int k, float *scratch, uint16_t *packed);
/// As `vk_gemm_f32` (AVX-512) with weights packed by `vk_pack_f16`, widened to Float32 as they load; Float32
/// products, accumulation and epilogue. Returns -1 without AVX-512.
int vk_gemm_f16w(int m, int n, int k, const float *a, long lda, const uint16_t *packed, int p0, int p1, float *c,
                 long ldc, const vk_epilogue *ep);

/// Floats of scratch one thread needs for `vk_attention` or `vk_attention_bf16` with T tokens and head width hd.
size_t vk_attention_scratch(int T, int hd);

/// Softmax attention of query rows r0..<r1 of one (image, head) against its T keys:
/// o[r] = softmax(scale · q[r]·Kᵀ) · V, with q, k, v pointing at token 0's head slice and token rows `ld`
/// apart, o's rows `ldo` apart. Scores live only in an 8-row strip of `scratch`; with `pack` set K and V are
/// (re)packed into `scratch` first (pass 0 to reuse the packing of the previous call on the same head).
/// `next_k` (or NULL): the K of the head the caller takes next (its V as far from it as v is from k), whose
/// rows are prefetched a share per strip, as are the next strip's query rows, so the packing and the strips
/// do not wait on memory. Returns 0, or -1 for an unusable isa.
int vk_attention(int isa, int T, int hd, int r0, int r1, const float *q, const float *k, const float *v, long ld,
                 float scale, float *o, long ldo, float *scratch, int pack, const float *next_k);

/// As `vk_attention` with bf16 products (AVX512_BF16): q, K, V and the softmax numerators rounded to bfloat16,
/// Float32 scores, softmax and accumulation; the output o is bfloat16 (uint16_t, ldo in 16-bit units) with
/// `o_bf16`, else Float32. Returns -1 without AVX512_BF16.
int vk_attention_bf16(int T, int hd, int r0, int r1, const float *q, const float *k, const float *v, long ld,
                      float scale, void *o, long ldo, int o_bf16, float *scratch, int pack, const float *next_k);

/// As `vk_attention_bf16` with q, K and V already bfloat16 (the qkv product stored them rounded): rows `ld`
/// 16-bit units apart, no rounding pass, half the bytes to read and pack; the same results as rounding Float32
/// q, K, V to nearest even first. Returns -1 without AVX512_BF16, or for an odd ld or hd.
int vk_attention_bf16_in(int T, int hd, int r0, int r1, const uint16_t *q, const uint16_t *k, const uint16_t *v,
                         long ld, float scale, void *o, long ldo, int o_bf16, float *scratch, int pack,
                         const uint16_t *next_k);
#endif
