#ifndef VITKIT_CBLAS_SHIM_H
#define VITKIT_CBLAS_SHIM_H
// OpenBLAS's CBLAS interface (sgemm) and its thread control.
#include <cblas.h>
#endif
