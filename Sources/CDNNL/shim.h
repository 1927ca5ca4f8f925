#ifndef VITKIT_CDNNL_SHIM_H
#define VITKIT_CDNNL_SHIM_H
// oneDNN (Debian libdnnl-dev 2.6, OpenMP runtime): dnnl_sgemm and the matmul primitive's C API.
// oneDNN picks its kernels (AVX-512, AVX512_BF16, AVX2, …) by CPUID itself, independent of
// OpenBLAS's OPENBLAS_CORETYPE.
#include <stddef.h>
#include <stdint.h>
#include <oneapi/dnnl/dnnl.h>

// OpenMP thread control of the calling thread (libgomp; declared here so the module needs no
// compiler-private omp.h). ViTKit's own worker threads each call oneDNN with one OpenMP thread.
extern void omp_set_num_threads(int);
extern int omp_get_max_threads(void);

/// One oneDNN matmul primitive of fixed shape, dst[m×n] (row stride ldc) = src[m×k] (row-major) ·
/// W[n×k]ᵀ (row-major) + bias[n], all f32, with memory objects whose data handles are set at each run (no
/// allocation per run).
typedef struct {
    dnnl_primitive_t primitive;
    dnnl_stream_t stream;
    dnnl_memory_t src, weights, bias, dst;
} vitkit_matmul;

/// Creates `mm` on `engine`; returns a dnnl_status_t (0 = success; nothing to destroy otherwise).
static inline int vitkit_matmul_create(vitkit_matmul *mm, dnnl_engine_t engine, int64_t m, int64_t n, int64_t k,
                                       int64_t ldc, int with_bias) {
    dnnl_dims_t sd = {m, k}, ss = {k, 1}, wd = {k, n}, ws = {1, k}, bd = {1, n}, bs = {n, 1}, dd = {m, n}, ds = {ldc, 1};
    dnnl_memory_desc_t smd, wmd, bmd, dmd;
    dnnl_status_t st;
    if ((st = dnnl_memory_desc_init_by_strides(&smd, 2, sd, dnnl_f32, ss))) return st;
    if ((st = dnnl_memory_desc_init_by_strides(&wmd, 2, wd, dnnl_f32, ws))) return st;
    if ((st = dnnl_memory_desc_init_by_strides(&bmd, 2, bd, dnnl_f32, bs))) return st;
    if ((st = dnnl_memory_desc_init_by_strides(&dmd, 2, dd, dnnl_f32, ds))) return st;
    dnnl_matmul_desc_t desc;
    if ((st = dnnl_matmul_desc_init(&desc, &smd, &wmd, with_bias ? &bmd : NULL, &dmd))) return st;
    dnnl_primitive_desc_t pd;
    if ((st = dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL))) return st;
    st = dnnl_primitive_create(&mm->primitive, pd);
    dnnl_primitive_desc_destroy(pd);
    if (st) return st;
    mm->bias = NULL;
    if ((st = dnnl_stream_create(&mm->stream, engine, dnnl_stream_default_flags))
        || (st = dnnl_memory_create(&mm->src, &smd, engine, DNNL_MEMORY_NONE))
        || (st = dnnl_memory_create(&mm->weights, &wmd, engine, DNNL_MEMORY_NONE))
        || (st = dnnl_memory_create(&mm->dst, &dmd, engine, DNNL_MEMORY_NONE))
        || (with_bias && (st = dnnl_memory_create(&mm->bias, &bmd, engine, DNNL_MEMORY_NONE)))) {
        dnnl_primitive_destroy(mm->primitive);
        return st;
    }
    return dnnl_success;
}

/// Runs `mm` on the given buffers (bias ignored when created without one); returns a dnnl_status_t.
static inline int vitkit_matmul_run(const vitkit_matmul *mm, const void *src, const void *weights,
                                    const float *bias, float *dst) {
    dnnl_memory_set_data_handle(mm->src, (void *)src);
    dnnl_memory_set_data_handle(mm->weights, (void *)weights);
    dnnl_memory_set_data_handle(mm->dst, dst);
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, mm->src}, {DNNL_ARG_WEIGHTS, mm->weights}, {DNNL_ARG_DST, mm->dst},
                               {DNNL_ARG_BIAS, mm->bias}};
    if (mm->bias) dnnl_memory_set_data_handle(mm->bias, (void *)bias);
    return dnnl_primitive_execute(mm->primitive, mm->stream, mm->bias ? 4 : 3, args);
}

static inline void vitkit_matmul_destroy(vitkit_matmul *mm) {
    dnnl_memory_destroy(mm->src);
    dnnl_memory_destroy(mm->weights);
    dnnl_memory_destroy(mm->dst);
    if (mm->bias) dnnl_memory_destroy(mm->bias);
    dnnl_stream_destroy(mm->stream);
    dnnl_primitive_destroy(mm->primitive);
}
#endif
