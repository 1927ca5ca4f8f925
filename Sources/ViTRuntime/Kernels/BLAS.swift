import ViTModel
internal import CBLAS

/// The OpenBLAS calls the forward pass makes, with Swift `Int` sizes.
enum BLAS {
    /// C[m×n] = alpha·A[m×k]·op(B) + beta·C, op(B) = B[n×k]ᵀ when `bTransposed`, else B[k×n]; all row-major
    /// with leading dimensions lda, ldb, ldc.
    @inline(__always)
    static func gemm(m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                     b: UnsafePointer<Float>, ldb: Int, bTransposed: Bool, beta: Float,
                     c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, bTransposed ? CblasTrans : CblasNoTrans, blasint(m), blasint(n),
                    blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// Sets OpenBLAS's own thread count (process-wide).
    static func setThreads(_ n: Int) {
        if openblas_get_num_threads() != Int32(n) { openblas_set_num_threads(Int32(n)) }
    }
}
