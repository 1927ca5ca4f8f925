/// bfloat16 copies of the transformer blocks' product weights (qkv, proj, fc1, fc2), made once when
/// a model is built with `Precision.bf16`, looked up by the Float32 weight they copy.
final class BF16Weights: @unchecked Sendable {
    // @unchecked: written only in `init`, read-only afterwards.
    private let storage: UnsafeMutablePointer<UInt16>
    private let copies: [UnsafePointer<Float>: UnsafePointer<UInt16>]

    init(_ layout: WeightLayout) {
        let linears = layout.blocks.flatMap { [$0.qkv, $0.proj, $0.fc1, $0.fc2] }
        let total = linears.reduce(0) { $0 + $1.outDim * $1.inDim }
        storage = .allocate(capacity: max(total, 1))
        var copies: [UnsafePointer<Float>: UnsafePointer<UInt16>] = [:]
        var o = 0
        for l in linears {
            BFloat16.convert(l.weight, count: l.outDim * l.inDim, into: storage + o)
            copies[l.weight] = UnsafePointer(storage + o)
            o += l.outDim * l.inDim
        }
        self.copies = copies
    }

    deinit { storage.deallocate() }

    /// The bf16 copy of a block product's weights, or nil for any other linear.
    subscript(_ l: WeightLayout.Linear) -> UnsafePointer<UInt16>? { copies[l.weight] }
}
