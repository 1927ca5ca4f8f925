import ViTTensor

/// Streams a tensor's elements as Float64, a fixed-size block at a time, so statistics and comparisons
/// need memory for one block, not for a converted copy of the tensor.
///
/// Conversion is exact for every float type (and integers up to 2⁵³); 64-bit integers beyond that round
/// to nearest.
enum DoubleBlocks {
    /// Elements per block (512 KiB of Float64).
    static let blockSize = 65_536

    /// Calls `body` with consecutive blocks of `tensor`'s elements converted to Float64.
    /// - Parameters:
    ///   - tensor: any tensor, mapped or on the heap.
    ///   - body: receives each block and the index of its first element.
    static func forEach(_ tensor: Tensor, _ body: (UnsafeBufferPointer<Double>, Int) throws -> Void) rethrows {
        let n = tensor.elementCount
        guard n > 0 else { return }
        let doubles = UnsafeMutableBufferPointer<Double>.allocate(capacity: min(blockSize, n))
        defer { doubles.deallocate() }
        var start = 0
        while start < n {
            let m = min(blockSize, n - start)
            convert(tensor, start: start, count: m, into: doubles)
            try body(UnsafeBufferPointer(rebasing: doubles[0..<m]), start)
            start += m
        }
    }

    /// Converts elements `start ..< start + count` of `tensor` into the first `count` slots of `out`
    /// (`count` must not exceed `out.count` or run past the tensor; callers take both from the tensor).
    static func convert(_ tensor: Tensor, start: Int, count: Int, into out: UnsafeMutableBufferPointer<Double>) {
        let m = min(count, out.count, tensor.elementCount - start)
        guard m > 0, start >= 0, let o = out.baseAddress else { return }
        let size = tensor.dtype.byteSize
        tensor.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            let s = base + start * size
            switch tensor.dtype {
            case .f32:
                for i in 0..<m { o[i] = Double(s.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)) }
            case .f64:
                for i in 0..<m { o[i] = s.loadUnaligned(fromByteOffset: 8 * i, as: Double.self) }
            case .i64:
                for i in 0..<m { o[i] = Double(s.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
            case .u64:
                for i in 0..<m { o[i] = Double(s.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
            case .i32:
                for i in 0..<m { o[i] = Double(s.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
            case .u32:
                for i in 0..<m { o[i] = Double(s.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
            default:
                // F16, BF16, the F8 types and the small integers are exact in Float32: convert a chunk at
                // a time on the stack.
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 1024) { f in
                    guard let fp = f.baseAddress else { return }
                    var i = 0
                    while i < m {
                        let k = min(1024, m - i)
                        let chunk = UnsafeRawBufferPointer(start: s + i * size, count: k * size)
                        ElementConversion.toFloat32(chunk, dtype: tensor.dtype, into: fp, count: k)
                        for j in 0..<k { o[i + j] = Double(fp[j]) }
                        i += k
                    }
                }
            }
        }
    }
}
