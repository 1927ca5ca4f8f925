#ifndef VITKIT_CBLAS_SHIM_H
#define VITKIT_CBLAS_SHIM_H
// OpenBLAS's CBLAS interface (sgemm) and its thread control.
#include <cblas.h>

// A CPU hint for spin-wait loops (the forward pass's worker threads between parallel loops):
// x86 `pause`, Arm `yield`. Swift has no intrinsic for it.
static inline void vitkit_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
#endif
