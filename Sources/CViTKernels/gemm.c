#include "vit_kernels.h"

#if defined(__x86_64__)
int vk_gemm_f32_avx512(int m, int n, int k, const float *a, long lda, const float *packed, int p0, int p1, float *c,
                       long ldc, const vk_epilogue *ep);
int vk_gemm_f16w_avx512(int m, int n, int k, const float *a, long lda, const uint16_t *packed, int p0, int p1,
                        float *c, long ldc, const vk_epilogue *ep);
void vk_to_f16_avx512(const float *x, size_t n, uint16_t *y);
int vk_gemm_f32_avx2(int m, int n, int k, const float *a, long lda, const float *packed, int p0, int p1, float *c,
                     long ldc, const vk_epilogue *ep);
#endif

int vk_gemm_f32(int isa, int m, int n, int k, const float *a, long lda, const float *packed, int p0, int p1,
                float *c, long ldc, const vk_epilogue *ep) {
#if defined(__x86_64__)
    int have = vk_cpu_isa();
    if (ep->out_bf16) return -1;  // bf16 stores belong to the bf16 products
    if (isa == VK_ISA_AVX512 && (have & VK_ISA_AVX512)) return vk_gemm_f32_avx512(m, n, k, a, lda, packed, p0, p1, c, ldc, ep);
    if (isa == VK_ISA_AVX2 && (have & VK_ISA_AVX2)) return vk_gemm_f32_avx2(m, n, k, a, lda, packed, p0, p1, c, ldc, ep);
#endif
    (void)isa; (void)m; (void)n; (void)k; (void)a; (void)lda; (void)packed; (void)p0; (void)p1; (void)c; (void)ldc; (void)ep;
    return -1;
}

int vk_gemm_f16w(int m, int n, int k, const float *a, long lda, const uint16_t *packed, int p0, int p1, float *c,
                 long ldc, const vk_epilogue *ep) {
#if defined(__x86_64__)
    if ((vk_cpu_isa() & VK_ISA_AVX512) && !ep->out_bf16) return vk_gemm_f16w_avx512(m, n, k, a, lda, packed, p0, p1, c, ldc, ep);
#endif
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)packed; (void)p0; (void)p1; (void)c; (void)ldc; (void)ep;
    return -1;
}

int vk_pack_f16(const float *w, int n, int k, float *scratch, uint16_t *packed) {
#if defined(__x86_64__)
    if (!(vk_cpu_isa() & VK_ISA_AVX512)) return -1;
    vk_pack_f32(w, n, k, k, 1, scratch);
    vk_to_f16_avx512(scratch, vk_packed_f32_count(n, k), packed);
    return 0;
#else
    (void)w; (void)n; (void)k; (void)scratch; (void)packed;
    return -1;
#endif
}
