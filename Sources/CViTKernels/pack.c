#include "vit_kernels.h"

size_t vk_packed_f32_count(int n, int k) {
    if (n <= 0 || k <= 0) return 0;
    int last = n - (vk_panels(n) - 1) * VK_PANEL;
    return (size_t)(vk_panels(n) - 1) * VK_PANEL * k + (size_t)((last + 15) / 16 * 16) * k;
}

#if defined(__x86_64__)
void vk_pack_f32_avx512(const float *b, int n, int k, long col_stride, float *packed);
#endif

void vk_pack_f32(const float *b, int n, int k, long col_stride, long k_stride, float *packed) {
#if defined(__x86_64__)
    if (k_stride == 1 && (vk_cpu_isa() & VK_ISA_AVX512)) { vk_pack_f32_avx512(b, n, k, col_stride, packed); return; }
#endif
    for (int p = 0; p < vk_panels(n); p++) {
        int c0 = p * VK_PANEL, w = n - c0 < VK_PANEL ? n - c0 : VK_PANEL, wp = (w + 15) / 16 * 16;
        float *dst = packed + (size_t)c0 * k;
        for (int kk = 0; kk < k; kk++) {
            float *row = dst + (size_t)kk * wp;
            for (int j = 0; j < w; j++) row[j] = b[(long)(c0 + j) * col_stride + (long)kk * k_stride];
            for (int j = w; j < wp; j++) row[j] = 0;
        }
    }
}


size_t vk_packed_bf16_count(int n, int k) { return vk_packed_f32_count(n, (k + 1) / 2) * 2; }

void vk_pack_bf16(const float *w, int n, int k, uint16_t *packed) { vk_pack_bf16_strided(w, n, k, k, 1, packed); }

int vk_pack_bf16_fast(const float *b, int n, int k, long col_stride, long k_stride, uint16_t *packed);

void vk_pack_bf16_strided(const float *b, int n, int k, long col_stride, long k_stride, uint16_t *packed) {
    if (vk_pack_bf16_fast(b, n, k, col_stride, k_stride, packed) == 0) return;
    int k2 = (k + 1) / 2;
    for (int p = 0; p < vk_panels(n); p++) {
        int c0 = p * VK_PANEL, wd = n - c0 < VK_PANEL ? n - c0 : VK_PANEL, wp = (wd + 15) / 16 * 16;
        uint16_t *dst = packed + (size_t)c0 * k2 * 2;
        for (int kp = 0; kp < k2; kp++) {
            uint16_t *row = dst + (size_t)kp * wp * 2;
            for (int j = 0; j < wp; j++) {
                for (int h = 0; h < 2; h++) {
                    int kk = 2 * kp + h;
                    row[2 * j + h] = (j < wd && kk < k) ? vk_bf16(b[(long)(c0 + j) * col_stride + (long)kk * k_stride]) : 0;
                }
            }
        }
    }
}
