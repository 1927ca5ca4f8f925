#include "vit_kernels.h"
#if defined(__x86_64__)
#include <cpuid.h>

static unsigned long long xgetbv0(void) {
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static int detect(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1;
    if (!osxsave) return 0;
    unsigned long long xcr0 = xgetbv0();
    int ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xE6) == 0xE6;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int avx2 = (b >> 5) & 1;
    int f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    int isa = 0;
    if (ymm && avx2 && fma) isa |= VK_ISA_AVX2;
    if (zmm && f && dq && bw && vl && fma) {
        isa |= VK_ISA_AVX512;
        unsigned int a1, b1, c1, d1;
        if (__get_cpuid_count(7, 1, &a1, &b1, &c1, &d1) && ((a1 >> 5) & 1)) isa |= VK_ISA_AVX512_BF16;
    }
    return isa;
}

int vk_cpu_isa(void) {
    // CPUID traps to the hypervisor in a VM: ask once (a race only repeats the same answer).
    static _Atomic int cached = -1;
    int isa = cached;
    if (isa < 0) cached = isa = detect();
    return isa;
}
#else
int vk_cpu_isa(void) { return 0; }
#endif
