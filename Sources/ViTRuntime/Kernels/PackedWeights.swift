internal import CViTKernels

/// The patch embedding's and the transformer blocks' product weights (qkv, proj, fc1, fc2) packed once,
/// when the model is built, into the column panels `CViTKernels` multiplies by: Float32, or for the block
/// products bfloat16 (`Precision.bf16`) or IEEE half (`Precision.f16`). Looked up by the Float32 weight they
/// were packed from.
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
        /// The number format of the panels.
        let kind: Kind
        /// Panels of `VK_PANEL` output columns.
        var panels: Int { Int(vk_panels(Int32(n))) }
    }

    /// How a matrix's panels hold its weights.
    enum Kind: Sendable {
        /// Float32.
        case f32
        /// bfloat16 in pairs along k (`vk_pack_bf16`), multiplied by bf16 inputs.
        case bf16
        /// IEEE half (`vk_pack_f16`), widened to Float32 as they load.
        case f16
    }

    /// The format of the block products' panels (the patch projection's is always Float32).
    let blocks: Kind
    /// Whether the block products are packed in bfloat16 (and so take bf16 inputs).
    var bf16: Bool { blocks == .bf16 }
    private let storage: UnsafeMutableRawPointer
    private let matrices: [UnsafePointer<Float>: Matrix]

    /// Packs `layout`'s block products and patch projection (bf16: the block products only; the patch
    /// projection stays Float32 and is packed as such).
    init(_ layout: WeightLayout, blocks: Kind) {
        self.blocks = blocks
        let blockLinears = layout.blocks.flatMap { [$0.qkv, $0.proj, $0.fc1, $0.fc2] }
        let all = [(layout.patchProj, Kind.f32)] + blockLinears.map { ($0, blocks) }
        func bytes(_ l: WeightLayout.Linear, _ kind: Kind) -> Int {
            let (n, k) = (Int32(l.outDim), Int32(l.inDim))
            switch kind {
            case .f32: return vk_packed_f32_count(n, k) * 4
            case .bf16: return vk_packed_bf16_count(n, k) * 2
            case .f16: return vk_packed_f32_count(n, k) * 2
            }
        }
        let total = all.reduce(0) { $0 + bytes($1.0, $1.1) }
        storage = .allocate(byteCount: max(total, 64), alignment: 64)
        var matrices: [UnsafePointer<Float>: Matrix] = [:]
        var offset = 0
        // f16: each matrix is packed in Float32 first, into one scratch as large as the largest.
        let scratchCount = blocks == .f16 ? blockLinears.map { vk_packed_f32_count(Int32($0.outDim), Int32($0.inDim)) }.max() ?? 0 : 0
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(scratchCount, 1))
        defer { scratch.deallocate() }
        for (l, kind) in all where matrices[l.weight] == nil {
            let p = storage + offset
            let (n, k) = (Int32(l.outDim), Int32(l.inDim))
            switch kind {
            case .f32: vk_pack_f32(l.weight, n, k, Int(k), 1, p.assumingMemoryBound(to: Float.self))
            case .bf16: vk_pack_bf16(l.weight, n, k, p.assumingMemoryBound(to: UInt16.self))
            case .f16: _ = vk_pack_f16(l.weight, n, k, scratch, p.assumingMemoryBound(to: UInt16.self))
            }
            matrices[l.weight] = Matrix(base: UnsafeRawPointer(p), n: l.outDim, k: l.inDim, kind: kind)
            offset += bytes(l, kind)
        }
        self.matrices = matrices
    }

    deinit { storage.deallocate() }

    /// The packed copy of a linear's weights (patch projection or block product), nil for any other.
    subscript(_ l: WeightLayout.Linear) -> Matrix? { matrices[l.weight] }
}
