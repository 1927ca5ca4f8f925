internal import CDNNL

/// One oneDNN matmul primitive of fixed shape for a column slice of a block product:
/// y[m×n] (row stride ldc) = x[m×k] · W[n×k]ᵀ + b, in Float32, or (`bf16`) from bf16(x) and bf16
/// weights with fp32 accumulation and output.
///
/// Created once per (shape, column slice, rows) by the workspace and reused; each bf16 run converts
/// its input rows into the primitive's own bf16 buffer; every run sets the memory objects' data
/// handles, so a run allocates nothing. An instance serves one thread at a time (one column slice of
/// a parallel loop).
final class DNNLMatmul {
    /// What a primitive is specialised for.
    struct Key: Hashable {
        /// Rows (tokens), output columns of the slice, inner dimension, output row stride.
        let m: Int, n: Int, k: Int, ldc: Int
        /// First output column of the slice (a distinct instance per slice, so per thread).
        let column: Int
        let bias: Bool
        /// bf16 inputs and weights (else Float32).
        let bf16: Bool
    }

    /// The CPU engine, created once per process.
    nonisolated(unsafe) private static let engine: dnnl_engine_t? = {
        var e: dnnl_engine_t?
        return dnnl_engine_create(&e, dnnl_cpu, 0) == dnnl_success ? e : nil
    }()

    /// Whether oneDNN runs bfloat16 dot products natively here (AVX512_BF16 or AMX); elsewhere it
    /// emulates them (slower than fp32).
    static var nativeBF16: Bool {
        let isa = dnnl_get_effective_cpu_isa().rawValue
        return isa & dnnl_cpu_isa_avx512_core_bf16.rawValue == dnnl_cpu_isa_avx512_core_bf16.rawValue
    }

    let key: Key
    private var mm = vitkit_matmul()
    private let input: UnsafeMutablePointer<UInt16>

    /// nil when oneDNN has no implementation for the shape on this CPU (the caller stays in fp32).
    /// Call with the calling thread's OpenMP threads set to 1: oneDNN plans its threads at creation.
    init?(_ key: Key) {
        guard let engine = Self.engine,
              vitkit_matmul_create(&mm, engine, key.bf16 ? dnnl_bf16 : dnnl_f32, Int64(key.m), Int64(key.n),
                                   Int64(key.k), Int64(key.ldc), key.bias ? 1 : 0) == 0 else { return nil }
        self.key = key
        input = .allocate(capacity: key.bf16 ? max(key.m * key.k, 1) : 1)
    }

    deinit {
        vitkit_matmul_destroy(&mm)
        input.deallocate()
    }

    /// y = x·Wᵀ + bias for `key.m` rows of x (row stride k); `weights` is the slice's first row of the
    /// (n×k) weights (bf16 bits for a bf16 key, else Float32), `bias` its first value, `y` its first
    /// output column. Returns false if oneDNN failed (nothing useful was written).
    func run(_ x: UnsafePointer<Float>, weights: UnsafeRawPointer, bias: UnsafePointer<Float>?,
             into y: UnsafeMutablePointer<Float>) -> Bool {
        let src: UnsafeRawPointer
        if key.bf16 {
            BFloat16.convert(x, count: key.m * key.k, into: input)
            src = UnsafeRawPointer(input)
        } else {
            src = UnsafeRawPointer(x)
        }
        return withUnsafePointer(to: &mm) { vitkit_matmul_run($0, src, weights, bias, y) } == 0
    }
}

/// bfloat16 (the upper half of an IEEE Float32) as raw UInt16 bits.
enum BFloat16 {
    /// Rounds `count` floats to bfloat16, to nearest even, 16 lanes at a time (finite values; a NaN
    /// may become an infinity, which propagates just the same).
    static func convert(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<UInt16>) {
        typealias U = SIMD16<UInt32>
        var i = 0
        while i + 16 <= count {
            let b = UnsafeRawPointer(x + i).loadUnaligned(as: U.self)
            let r = (b &+ (U(repeating: 0x7FFF) &+ ((b &>> 16) & 1))) &>> 16
            UnsafeMutableRawPointer(y + i).storeBytes(of: SIMD16<UInt16>(truncatingIfNeeded: r), as: SIMD16<UInt16>.self)
            i += 16
        }
        while i < count { y[i] = scalar(x[i]); i += 1 }
    }

    @inline(__always)
    static func scalar(_ f: Float) -> UInt16 {
        if f.isNaN { return UInt16(truncatingIfNeeded: f.bitPattern >> 16) | 0x40 }
        let b = f.bitPattern
        return UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
    }
}
