import ViTTensor

/// Byte-exact axis permutation of a dense tensor, for any element size (no rounding: f16/bf16 stay as stored).
enum Permute {
    /// The elements of `tensor`, viewed with `shape` (same element count, C order), rearranged so output axis
    /// `j` is input axis `axes[j]` (numpy `transpose(axes)`), copied into a new C-order tensor.
    static func permute(_ tensor: Tensor, viewedAs shape: [Int], axes: [Int]) throws -> Tensor {
        try StridedGather.permute(tensor, viewedAs: shape, axes: axes)
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
