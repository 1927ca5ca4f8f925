/// Element-wise conversion kernels between raw little-endian bytes and Float32.
/// Sources may be unaligned (safetensors does not require alignment), so loads are unaligned.
public enum ElementConversion {
    /// Converts `count` elements of `dtype` in `src` to Float32 at `dst`.
    public static func toFloat32(_ src: UnsafeRawBufferPointer, dtype: DType, into dst: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0, let s = src.baseAddress else { return }
        switch dtype {
        case .f32:
            UnsafeMutableRawPointer(dst).copyMemory(from: s, byteCount: count * 4)
        case .f16:
            for i in 0..<count { dst[i] = FloatBits.float(fromF16: s.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .bf16:
            for i in 0..<count {
                dst[i] = Float(bitPattern: UInt32(s.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
            }
        case .f64:
            for i in 0..<count { dst[i] = Float(s.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
        case .f8e5m2:
            for i in 0..<count { dst[i] = FloatBits.float(fromF8E5M2: s.load(fromByteOffset: i, as: UInt8.self)) }
        case .f8e4m3:
            for i in 0..<count { dst[i] = FloatBits.float(fromF8E4M3: s.load(fromByteOffset: i, as: UInt8.self)) }
        case .bool, .u8:
            for i in 0..<count { dst[i] = Float(s.load(fromByteOffset: i, as: UInt8.self)) }
        case .i8:
            for i in 0..<count { dst[i] = Float(s.load(fromByteOffset: i, as: Int8.self)) }
        case .i16:
            for i in 0..<count { dst[i] = Float(s.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)) }
        case .u16:
            for i in 0..<count { dst[i] = Float(s.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .i32:
            for i in 0..<count { dst[i] = Float(s.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
        case .u32:
            for i in 0..<count { dst[i] = Float(s.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
        case .i64:
            for i in 0..<count { dst[i] = Float(s.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
        case .u64:
            for i in 0..<count { dst[i] = Float(s.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
        }
    }

    /// Converts `count` Float32 values to `target` (F32, F16, BF16 or F64), writing little-endian bytes at `dst`.
    public static func fromFloat32(_ src: UnsafePointer<Float>, count: Int, to target: DType, into dst: UnsafeMutableRawPointer) {
        switch target {
        case .f32:
            dst.copyMemory(from: src, byteCount: count * 4)
        case .f16:
            for i in 0..<count { dst.storeBytes(of: FloatBits.f16(from: src[i]), toByteOffset: 2 * i, as: UInt16.self) }
        case .bf16:
            for i in 0..<count { dst.storeBytes(of: FloatBits.bf16(from: src[i]), toByteOffset: 2 * i, as: UInt16.self) }
        case .f64:
            for i in 0..<count { dst.storeBytes(of: Double(src[i]), toByteOffset: 8 * i, as: Double.self) }
        default:
            preconditionFailure("fromFloat32 supports float targets only")
        }
    }

    /// Converts `count` elements of `dtype` in `src` to Float64 at `dst`: exact for every float type and for
    /// integers up to 2⁵³ (64-bit integers beyond round to nearest).
    public static func toFloat64(_ src: UnsafeRawBufferPointer, dtype: DType, into dst: UnsafeMutablePointer<Double>, count: Int) {
        guard count > 0, let s = src.baseAddress else { return }
        switch dtype {
        case .f32: for i in 0..<count { dst[i] = Double(s.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)) }
        case .f64: for i in 0..<count { dst[i] = s.loadUnaligned(fromByteOffset: 8 * i, as: Double.self) }
        case .i64: for i in 0..<count { dst[i] = Double(s.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
        case .u64: for i in 0..<count { dst[i] = Double(s.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
        case .i32: for i in 0..<count { dst[i] = Double(s.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
        case .u32: for i in 0..<count { dst[i] = Double(s.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
        default:
            // F16, BF16, the F8 types and the small integers are exact in Float32: through it, a chunk at a time.
            let size = dtype.byteSize
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 1024) { f in
                guard let fp = f.baseAddress else { return }
                var i = 0
                while i < count {
                    let k = min(1024, count - i)
                    toFloat32(UnsafeRawBufferPointer(start: s + i * size, count: k * size), dtype: dtype, into: fp, count: k)
                    for j in 0..<k { dst[i + j] = Double(fp[j]) }
                    i += k
                }
            }
        }
    }
}
