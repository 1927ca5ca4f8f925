/// Copies a strided view of elements into a new C-order buffer: the one gather behind torch views
/// (`ViTTorch`) and axis permutations (`ViTMapping`). Byte-exact for any element size; no rounding.
public enum StridedGather {
    /// Copies the view `(offset, size, stride)` of `src` into a new C-order buffer.
    /// - Parameters:
    ///   - src: the storage, starting at element 0 (the caller has checked that the view fits).
    ///   - elementSize: bytes per element (1, 2, 4 or 8).
    ///   - offset: the view's first element, in elements.
    ///   - size: the view's dimensions.
    ///   - stride: the storage stride of each dimension, in elements.
    ///   - byteSwap: reverse each element's bytes (a big-endian source).
    /// - Returns: `size.product × elementSize` bytes in C order.
    public static func gather(_ src: UnsafeRawBufferPointer, elementSize: Int, offset: Int = 0, size: [Int], stride: [Int],
                              byteSwap: Bool = false) -> ByteStorage {
        let count = size.reduce(1, *)
        return ByteStorage(count: count * elementSize) { dst in
            guard count > 0, let s = src.baseAddress, let d = dst.baseAddress else { return }
            switch elementSize {
            case 1: copy(s, d, UInt8.self, offset, size, stride, byteSwap)
            case 2: copy(s, d, UInt16.self, offset, size, stride, byteSwap)
            case 4: copy(s, d, UInt32.self, offset, size, stride, byteSwap)
            default: copy(s, d, UInt64.self, offset, size, stride, byteSwap)
            }
        }
    }

    /// The elements of `tensor`, viewed with `shape` (same element count, C order), rearranged so output axis
    /// `j` is input axis `axes[j]` (numpy `transpose(axes)`), copied into a new C-order tensor.
    /// - Throws: `TensorError` when `shape` does not hold the tensor's elements.
    public static func permute(_ tensor: Tensor, viewedAs shape: [Int], axes: [Int]) throws -> Tensor {
        let viewed = try tensor.reshaped(shape)
        let rank = shape.count
        if rank == 0 { return viewed }
        var inStrides = [Int](repeating: 1, count: rank)
        if rank > 1 { for d in Swift.stride(from: rank - 2, through: 0, by: -1) { inStrides[d] = inStrides[d + 1] * shape[d + 1] } }
        let outShape = axes.map { shape[$0] }
        let storage = viewed.withUnsafeBytes {
            gather($0, elementSize: viewed.dtype.byteSize, size: outShape, stride: axes.map { inStrides[$0] })
        }
        return try Tensor(dtype: viewed.dtype, shape: outShape, storage: storage)
    }

    private static func copy<E: FixedWidthInteger>(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, _: E.Type,
                                                   _ offset: Int, _ size: [Int], _ stride: [Int], _ swap: Bool) {
        let width = MemoryLayout<E>.stride
        let out = dst.assumingMemoryBound(to: E.self)
        let rank = size.count
        if rank == 0 {
            let v = src.loadUnaligned(fromByteOffset: offset * width, as: E.self)
            out[0] = swap ? v.byteSwapped : v
            return
        }
        var index = [Int](repeating: 0, count: rank)
        var base = offset  // storage element of `index` with the last coordinate at 0
        let inner = size[rank - 1], innerStride = stride[rank - 1]
        var o = 0
        while true {
            var e = base
            if swap {
                for _ in 0..<inner { out[o] = src.loadUnaligned(fromByteOffset: e * width, as: E.self).byteSwapped; e += innerStride; o += 1 }
            } else {
                for _ in 0..<inner { out[o] = src.loadUnaligned(fromByteOffset: e * width, as: E.self); e += innerStride; o += 1 }
            }
            // Advance the outer coordinates (odometer).
            var k = rank - 2
            while k >= 0 {
                index[k] += 1
                base += stride[k]
                if index[k] < size[k] { break }
                base -= stride[k] * size[k]
                index[k] = 0
                k -= 1
            }
            if k < 0 { return }
        }
    }
}
