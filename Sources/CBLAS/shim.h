#ifndef VITKIT_CBLAS_SHIM_H
#define VITKIT_CBLAS_SHIM_H
// OpenBLAS's CBLAS interface (sgemm) and its thread control.
#include <cblas.h>

// LAPACK's symmetric eigensolver (OpenBLAS bundles LAPACK; Fortran calling convention), for the principal
// components of the patch-embedding filters (vit-summary --plot patch-filters).
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
            double *work, const int *lwork, int *info);

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
