import ViTTensor

/// Byte-exact axis permutation of a dense tensor, for any element size (no rounding: f16/bf16 stay as stored).
enum Permute {
    /// The elements of `tensor`, viewed with `shape` (same element count, C order), rearranged so output axis
    /// `j` is input axis `axes[j]` (numpy `transpose(axes)`), copied into a new C-order tensor.
    static func permute(_ tensor: Tensor, viewedAs shape: [Int], axes: [Int]) throws -> Tensor {
        let viewed = try tensor.reshaped(shape)
        let rank = shape.count
        if rank == 0 { return viewed }
        let outShape = axes.map { shape[$0] }
        var inStrides = [Int](repeating: 1, count: rank)
        if rank > 1 { for d in stride(from: rank - 2, through: 0, by: -1) { inStrides[d] = inStrides[d + 1] * shape[d + 1] } }
        let strides = axes.map { inStrides[$0] }   // input stride of each output axis
        let n = viewed.elementCount
        let size = viewed.dtype.byteSize
        let storage = viewed.withUnsafeBytes { src in
            ByteStorage(count: n * size) { dst in
                guard n > 0, let s = src.baseAddress, let d = dst.baseAddress else { return }
                switch size {
                case 1: copy(s, d, UInt8.self, outShape, strides)
                case 2: copy(s, d, UInt16.self, outShape, strides)
                case 4: copy(s, d, UInt32.self, outShape, strides)
                default: copy(s, d, UInt64.self, outShape, strides)
                }
            }
        }
        return try Tensor(dtype: viewed.dtype, shape: outShape, storage: storage)
    }

    private static func copy<E>(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, _: E.Type,
                                _ outShape: [Int], _ strides: [Int]) {
        let rank = outShape.count
        let inner = outShape[rank - 1]
        let innerStride = strides[rank - 1]
        let outer = outShape.dropLast().reduce(1, *)
        var index = [Int](repeating: 0, count: max(rank - 1, 0))
        var base = 0
        var o = 0
        let out = dst.assumingMemoryBound(to: E.self)
        for _ in 0..<outer {
            var at = base
            for _ in 0..<inner {
                out[o] = src.loadUnaligned(fromByteOffset: at * MemoryLayout<E>.stride, as: E.self)
                o += 1
                at += innerStride
            }
            // Odometer over the outer axes.
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                base += strides[d]
                if index[d] < outShape[d] { break }
                base -= strides[d] * outShape[d]
                index[d] = 0
                d -= 1
            }
        }
    }

    /// Concatenates tensors of equal dtype along axis 0 (their trailing shapes must agree).
    static func concatRows(_ parts: [Tensor]) throws -> Tensor {
        guard let first = parts.first else { return try Tensor(shape: [0], float32: []) }
        let rows = parts.reduce(0) { $0 + ($1.shape.first ?? 1) }
        let shape = [rows] + first.shape.dropFirst()
        let total = parts.reduce(0) { $0 + $1.byteCount }
        let storage = ByteStorage(count: total) { dst in
            var at = 0
            for p in parts {
                p.withUnsafeBytes { src in
                    if let s = src.baseAddress, let d = dst.baseAddress { (d + at).copyMemory(from: s, byteCount: src.count) }
                }
                at += p.byteCount
            }
        }
        return try Tensor(dtype: first.dtype, shape: shape, storage: storage)
    }
}
