#include "vit_kernels.h"

#if defined(__x86_64__)
int vk_gemm_f32_avx512(int m, int n, int k, const float *a, long lda, const float *packed, int p0, int p1, float *c,
                       long ldc, const vk_epilogue *ep);
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
