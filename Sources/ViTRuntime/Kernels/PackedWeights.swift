internal import CViTKernels

/// The patch embedding's and the transformer blocks' product weights (qkv, proj, fc1, fc2) packed once,
/// when the model is built, into the column panels `CViTKernels` multiplies by: Float32, or bfloat16 for
/// `Precision.bf16`. Looked up by the Float32 weight they were packed from.
///
/// The packed copy is held beside the Float32 weights of `ViTWeights` (which stay the model's public
/// weights), so an fp32 model holds its block weights twice in memory and a bf16 model one and a half times.
final class PackedWeights: @unchecked Sendable {
    // @unchecked: written only in `init`, read-only afterwards.
    /// A packed matrix and the sizes it was packed for.
    struct Matrix {
        /// fp32: Float32 panels; bf16: bfloat16 panels of pairs along k.
        let base: UnsafeRawPointer
        let n: Int, k: Int
        /// bfloat16 panels (else Float32).
        let half: Bool
        /// Panels of `VK_PANEL` output columns.
        var panels: Int { Int(vk_panels(Int32(n))) }
    }

    /// Whether the block products are packed in bfloat16.
    let bf16: Bool
    private let storage: UnsafeMutableRawPointer
    private let matrices: [UnsafePointer<Float>: Matrix]

    /// Packs `layout`'s block products and patch projection (bf16: the block products only; the patch
    /// projection stays Float32 and is packed as such).
    init(_ layout: WeightLayout, bf16: Bool) {
        self.bf16 = bf16
        let blockLinears = layout.blocks.flatMap { [$0.qkv, $0.proj, $0.fc1, $0.fc2] }
        let all = [(layout.patchProj, false)] + blockLinears.map { ($0, bf16) }
        func bytes(_ l: WeightLayout.Linear, _ half: Bool) -> Int {
            let (n, k) = (Int32(l.outDim), Int32(l.inDim))
            return half ? vk_packed_bf16_count(n, k) * 2 : vk_packed_f32_count(n, k) * 4
        }
        let total = all.reduce(0) { $0 + bytes($1.0, $1.1) }
        storage = .allocate(byteCount: max(total, 64), alignment: 64)
        var matrices: [UnsafePointer<Float>: Matrix] = [:]
        var offset = 0
        for (l, half) in all where matrices[l.weight] == nil {
            let p = storage + offset
            let (n, k) = (Int32(l.outDim), Int32(l.inDim))
            if half {
                vk_pack_bf16(l.weight, n, k, p.assumingMemoryBound(to: UInt16.self))
            } else {
                vk_pack_f32(l.weight, n, k, Int(k), 1, p.assumingMemoryBound(to: Float.self))
            }
            matrices[l.weight] = Matrix(base: UnsafeRawPointer(p), n: l.outDim, k: l.inDim, half: half)
            offset += bytes(l, half)
        }
        self.matrices = matrices
    }

    deinit { storage.deallocate() }

    /// The packed copy of a linear's weights (patch projection or block product), nil for any other.
    subscript(_ l: WeightLayout.Linear) -> Matrix? { matrices[l.weight] }
}
