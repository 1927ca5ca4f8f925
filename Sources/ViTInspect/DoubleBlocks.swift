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
            ElementConversion.toFloat64(UnsafeRawBufferPointer(start: base + start * size, count: m * size),
                                        dtype: tensor.dtype, into: o, count: m)
        }
    }
}
