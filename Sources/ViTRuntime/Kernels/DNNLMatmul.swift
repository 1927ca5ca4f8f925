internal import CDNNL

/// One oneDNN matmul primitive of fixed shape for a column slice of a block product on the portable path
/// (`VITKIT_GEMM=dnnl-matmul`, an experiment measured slower than `dnnl_sgemm`):
/// y[m×n] (row stride ldc) = x[m×k] · W[n×k]ᵀ + b, in Float32.
///
/// Created once per (shape, column slice, rows) by the workspace and reused; every run sets the memory
/// objects' data handles, so a run allocates nothing. An instance serves one thread at a time (one column
/// slice of a parallel loop).
final class DNNLMatmul {
    /// What a primitive is specialised for.
    struct Key: Hashable {
        /// Rows (tokens), output columns of the slice, inner dimension, output row stride.
        let m: Int, n: Int, k: Int, ldc: Int
        /// First output column of the slice (a distinct instance per slice, so per thread).
        let column: Int
        let bias: Bool
    }

    /// The CPU engine, created once per process.
    nonisolated(unsafe) private static let engine: dnnl_engine_t? = {
        var e: dnnl_engine_t?
        return dnnl_engine_create(&e, dnnl_cpu, 0) == dnnl_success ? e : nil
    }()

    let key: Key
    private var mm = vitkit_matmul()

    /// nil when oneDNN has no implementation for the shape on this CPU (the caller uses `dnnl_sgemm`).
    /// Call with the calling thread's OpenMP threads set to 1: oneDNN plans its threads at creation.
    init?(_ key: Key) {
        guard let engine = Self.engine,
              vitkit_matmul_create(&mm, engine, Int64(key.m), Int64(key.n), Int64(key.k), Int64(key.ldc),
                                   key.bias ? 1 : 0) == 0 else { return nil }
        self.key = key
    }

    deinit { vitkit_matmul_destroy(&mm) }

    /// y = x·Wᵀ + bias for `key.m` rows of x (row stride k); `weights` is the slice's first row of the
    /// (n×k) Float32 weights, `bias` its first value, `y` its first output column. Returns false if oneDNN
    /// failed (nothing useful was written).
    func run(_ x: UnsafePointer<Float>, weights: UnsafeRawPointer, bias: UnsafePointer<Float>?,
             into y: UnsafeMutablePointer<Float>) -> Bool {
        withUnsafePointer(to: &mm) { vitkit_matmul_run($0, UnsafeRawPointer(x), weights, bias, y) } == 0
    }
}
