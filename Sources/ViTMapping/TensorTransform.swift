import ViTTensor

/// A named structural step from stored tensor(s) to one canonical tensor.
///
/// Every transform is a pure rearrangement (reshape, axis permutation, concatenation): no arithmetic, so a
/// tensor keeps its stored dtype bit for bit. Each is chosen by the tensor's role in its convention.
public indirect enum TensorTransform: Hashable, Sendable, CustomStringConvertible {
    /// Used as stored.
    case identity
    /// Same elements, new shape (vit-pytorch 2-D `cls_token` (1, D) → (1, 1, D); (H, hd) biases → (H·hd,)).
    case reshape(to: [Int])
    /// (a, b) → (b, a): a Keras/JAX Dense kernel (in, out) to a PyTorch Linear weight (out, in).
    case transpose2D
    /// Conv kernel (kh, kw, in, out) → (out, in, kh, kw) (numpy `transpose(3, 2, 0, 1)`).
    case hwioToOihw
    /// JAX/Keras per-head query/key/value kernel (D, H, hd) → (H·hd, D) (`reshape(D, H·hd).T`).
    case jaxQKVKernel(heads: Int, headDim: Int)
    /// JAX/Keras attention output kernel (H, hd, D) → (D, H·hd) (`reshape(H·hd, D).T`).
    case jaxOutKernel(heads: Int, headDim: Int)
    /// Linear over (row, column, channel)-flattened patches (D, P·P·C) → conv kernel (D, C, P, P)
    /// (`reshape(D, P, P, C).permute(0, 3, 1, 2)`).
    case patchLinearToConv(patch: [Int], channels: Int)
    /// LayerNorm gain/bias over (row, column, channel)-flattened patches (P·P·C,) → (C, P, P).
    case patchNormToCHW(patch: [Int], channels: Int)
    /// One transform per source, then concatenation along axis 0 (fusing q, k, v into qkv).
    case concatRows([TensorTransform])
    /// Slice `index` of a stacked (depth, …) tensor (a scanned JAX model holds every block's parameter in one
    /// tensor), then `then` on that slice (numpy `then(x[index])`). The slice is a view, not a copy.
    case slice(index: Int, then: TensorTransform)
    /// Rows `start ..< start + count` along axis 0 (a view: a row block of a row-major tensor is contiguous).
    case rows(start: Int, count: Int)

    public var description: String {
        switch self {
        case .identity: return "identity"
        case let .reshape(s): return "reshape\(Shape.describe(s))"
        case .transpose2D: return "transpose"
        case .hwioToOihw: return "HWIO→OIHW"
        case let .jaxQKVKernel(h, d): return "(D,\(h),\(d))→(\(h * d),D)"
        case let .jaxOutKernel(h, d): return "(\(h),\(d),D)→(D,\(h * d))"
        case let .patchLinearToConv(p, c): return "patch Linear (p1 p2 c)→conv (\(c),\(p[0]),\(p[1]))"
        case let .patchNormToCHW(p, c): return "patch norm (p1 p2 c)→(\(c),\(p[0]),\(p[1]))"
        case let .concatRows(parts):
            let inner = Set(parts).count == 1 ? (parts.first.map { $0 == .identity ? "" : " of \($0)" } ?? "")
                : " of " + parts.map(\.description).joined(separator: ", ")
            return "concat\(parts.count)\(inner)"
        case let .slice(i, then):
            return "depth[\(i)]" + (then == .identity ? "" : " → \(then)")
        case let .rows(start, count): return "rows[\(start)..<\(start + count)]"
        }
    }

    /// Number of source tensors this transform takes.
    public var sourceCount: Int {
        if case let .concatRows(parts) = self { return parts.count }
        return 1
    }

    /// The output shape for inputs of `shapes`, or nil when the inputs do not fit this transform.
    public func outputShape(_ shapes: [[Int]]) -> [Int]? {
        if case let .concatRows(parts) = self {
            guard shapes.count == parts.count, !parts.isEmpty else { return nil }
            var outs: [[Int]] = []
            for (t, s) in zip(parts, shapes) {
                guard let o = t.outputShape([s]), !o.isEmpty else { return nil }
                outs.append(o)
            }
            guard Set(outs.map { Array($0.dropFirst()) }).count == 1 else { return nil }
            return [outs.reduce(0) { $0 + $1[0] }] + outs[0].dropFirst()
        }
        guard shapes.count == 1 else { return nil }
        let s = shapes[0]
        switch self {
        case .identity: return s
        case let .reshape(to):
            return Shape.elementCount(to) == Shape.elementCount(s) ? to : nil
        case .transpose2D:
            return s.count == 2 ? [s[1], s[0]] : nil
        case .hwioToOihw:
            return s.count == 4 ? [s[3], s[2], s[0], s[1]] : nil
        case let .jaxQKVKernel(h, d):
            return s.count == 3 && s[1] == h && s[2] == d ? [h * d, s[0]] : nil
        case let .jaxOutKernel(h, d):
            return s.count == 3 && s[0] == h && s[1] == d ? [s[2], h * d] : nil
        case let .patchLinearToConv(p, c):
            return s.count == 2 && s[1] == p[0] * p[1] * c ? [s[0], c, p[0], p[1]] : nil
        case let .patchNormToCHW(p, c):
            return s.count == 1 && s[0] == p[0] * p[1] * c ? [c, p[0], p[1]] : nil
        case let .slice(i, then):
            guard let depth = s.first, i >= 0, i < depth else { return nil }
            return then.outputShape([Array(s.dropFirst())])
        case let .rows(start, count):
            guard let n = s.first, start >= 0, count > 0, start + count <= n else { return nil }
            return [count] + s.dropFirst()
        case .concatRows:
            return nil
        }
    }

    /// Applies the transform. Sources of different dtypes (only possible for `concatRows`) are first
    /// converted to `dtype`; otherwise the stored dtype is kept.
    /// - Parameters:
    ///   - inputs: the source tensors, in the plan's order.
    ///   - dtype: the output dtype (the stored dtype, or the widest of the sources).
    ///   - name: the canonical name, for errors.
    /// - Throws: `MappingError.transformInput` when the inputs do not fit; `TensorError` from conversion.
    public func apply(_ inputs: [Tensor], dtype: DType, name: String) throws -> Tensor {
        guard outputShape(inputs.map(\.shape)) != nil else {
            throw MappingError.transformInput(tensor: name, transform: description, found: inputs.map(\.shape))
        }
        if case let .concatRows(parts) = self {
            var outs: [Tensor] = []
            for (t, x) in zip(parts, inputs) { outs.append(try t.apply([x], dtype: dtype, name: name)) }
            return try Permute.concatRows(outs)
        }
        if case let .slice(i, then) = self {
            // Slice first (a view into the stack), so only that slice is ever converted or rearranged.
            let x = inputs[0]
            let sliceBytes = x.byteCount / x.shape[0]
            let view = try Tensor(dtype: x.dtype, shape: Array(x.shape.dropFirst()), storage: x.storage,
                                  offset: x.offset + i * sliceBytes)
            return try then.apply([view], dtype: dtype, name: name)
        }
        if case let .rows(start, count) = self {
            let x = inputs[0]
            let rowBytes = x.byteCount / max(x.shape[0], 1)
            let view = try Tensor(dtype: x.dtype, shape: [count] + x.shape.dropFirst(), storage: x.storage,
                                  offset: x.offset + start * rowBytes)
            return try view.converted(to: dtype)
        }
        let x = try inputs[0].converted(to: dtype)
        let s = x.shape
        switch self {
        case .identity: return x
        case let .reshape(to): return try x.reshaped(to)
        case .transpose2D: return try Permute.permute(x, viewedAs: s, axes: [1, 0])
        case .hwioToOihw: return try Permute.permute(x, viewedAs: s, axes: [3, 2, 0, 1])
        case let .jaxQKVKernel(h, d): return try Permute.permute(x, viewedAs: [s[0], h * d], axes: [1, 0])
        case let .jaxOutKernel(h, d): return try Permute.permute(x, viewedAs: [h * d, s[2]], axes: [1, 0])
        case let .patchLinearToConv(p, c):
            return try Permute.permute(x, viewedAs: [s[0], p[0], p[1], c], axes: [0, 3, 1, 2])
        case let .patchNormToCHW(p, c):
            return try Permute.permute(x, viewedAs: [p[0], p[1], c], axes: [2, 0, 1])
        case .concatRows, .slice, .rows:
            return x
        }
    }
}
