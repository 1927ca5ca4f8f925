import Foundation
internal import CDNNL

/// The matrix products of the portable path (no ViTKit kernels for this CPU, or `VITKIT_KERNELS=off`), and
/// the head's, on the library chosen once per process.
///
/// oneDNN (`dnnl_sgemm`) is the default: it picks AVX-512 / AVX2 kernels by CPUID itself, whereas
/// OpenBLAS runs whatever `OPENBLAS_CORETYPE` says (Haswell's AVX2 kernels on these machines).
/// `VITKIT_GEMM=openblas` or `VITKIT_GEMM=dnnl` forces one (tests, benchmarks). Both are called per chunk
/// from ViTKit's own worker threads, single-threaded each.
enum GEMM {
    /// The library that computes the products.
    enum Backend: String, Sendable {
        case dnnl, openblas
        case dnnlMatmul = "dnnl-matmul"
    }

    /// `VITKIT_GEMM` when set to a known backend, else oneDNN.
    static let backend: Backend = {
        if let v = ProcessInfo.processInfo.environment["VITKIT_GEMM"]?.lowercased(), let b = Backend(rawValue: v) {
            return b
        }
        return .dnnl
    }()

    /// Makes the calling thread's GEMM calls single-threaded (OpenMP for oneDNN, OpenBLAS's pool):
    /// ViTKit's workers split the work themselves, so nested threads would only oversubscribe.
    static func singleThreaded() {
        if omp_get_max_threads() != 1 { omp_set_num_threads(1) }
        if backend == .openblas { BLAS.setThreads(1) }
    }

    /// C[m×n] = alpha·A[m×k]·op(B) + beta·C, op(B) = B[n×k]ᵀ when `bTransposed`, else B[k×n]; all row-major
    /// with leading dimensions lda, ldb, ldc.
    @inline(__always)
    static func gemm(m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                     b: UnsafePointer<Float>, ldb: Int, bTransposed: Bool, beta: Float,
                     c: UnsafeMutablePointer<Float>, ldc: Int) {
        switch backend {
        case .dnnl, .dnnlMatmul:
            let transB: CChar = bTransposed ? 0x54 : 0x4E  // 'T' or 'N'
            _ = dnnl_sgemm(0x4E, transB, Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb), beta, c,
                           Int64(ldc))
        case .openblas:
            BLAS.gemm(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, bTransposed: bTransposed,
                      beta: beta, c: c, ldc: ldc)
        }
    }
}

/// Which GEMM library the forward pass uses in this process (for benchmarks and reports).
public enum GEMMInfo {
    /// "dnnl" (oneDNN) or "openblas", as `VITKIT_GEMM` selects (oneDNN by default).
    public static var backend: String { GEMM.backend.rawValue }
}
