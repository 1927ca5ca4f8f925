import ViTModel
import ViTTensor

/// How one exported tensor is made from canonical tensors. Every operation is a pure rearrangement or a
/// constant, so an export never changes a stored value (except the one documented sum `clsPlusPosRow0`).
public enum ExportOp: Sendable, Equatable {
    /// The canonical tensor as it is (its shape may be re-read, e.g. (1, N, D) as (N, D)).
    case copy(String)
    /// Rows `[from·n/parts, to·n/parts)` of a packed canonical tensor (q, k, v of `attn.qkv`; k, v of `attn_pool.kv`).
    case rows(String, from: Int, to: Int, parts: Int)
    /// Canonical tensors stacked along their first axis (`attn_pool.q` + `attn_pool.kv` → a packed in-projection).
    case concatRows([String])
    /// The position embedding with a zero row in front (a class token the embedding did not cover).
    case zeroRowThenRows(String)
    /// The class token plus position row 0 (timm's DINOv2-registers conversion: exact at any grid, not bit-exact).
    case clsPlusPosRow0(cls: String, pos: String)
    /// Position rows after the first.
    case rowsAfterFirst(String)
    /// Zeros (a bias the model has not).
    case zeros
    /// Ones (a LayerScale the model has not).
    case ones
}

/// One tensor of an export: its name in the target layout, its shape, and how it is made.
public struct ExportTensor: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public let op: ExportOp

    public init(_ name: String, _ shape: [Int], _ op: ExportOp) {
        self.name = name
        self.shape = shape
        self.op = op
    }

    /// The canonical tensors this one reads.
    public var sources: [String] {
        switch op {
        case let .copy(n), let .rows(n, _, _, _), let .zeroRowThenRows(n), let .rowsAfterFirst(n): return [n]
        case let .concatRows(ns): return ns
        case let .clsPlusPosRow0(c, p): return [c, p]
        case .zeros, .ones: return []
        }
    }

    /// Builds the tensor from canonical tensors.
    /// - Parameters:
    ///   - canonical: canonical name → tensor.
    ///   - dtype: the dtype for constants (sources keep theirs, all sources of one tensor share one).
    /// - Throws: `ExportError.missingTensor`, `TensorError`.
    public func build(_ canonical: [String: Tensor], dtype: DType) throws -> Tensor {
        func get(_ n: String) throws -> Tensor {
            guard let t = canonical[n] else { throw ExportError.missingTensor(n) }
            return t
        }
        switch op {
        case let .copy(n):
            return try get(n).reshaped(shape)
        case let .rows(n, from, to, parts):
            let t = try get(n)
            let rowBytes = t.byteCount / max(t.shape[0], 1)
            let rowsPerPart = t.shape[0] / parts
            let start = from * rowsPerPart * rowBytes, end = to * rowsPerPart * rowBytes
            return try t.withUnsafeBytes { try Tensor(dtype: t.dtype, shape: shape, bytes: Array($0[start..<end])) }
        case let .concatRows(ns):
            let ts = try ns.map(get)
            return try Tensor(dtype: ts[0].dtype, shape: shape, bytes: ts.flatMap(\.bytes))
        case let .zeroRowThenRows(n):
            let t = try get(n)
            let row = t.byteCount / max(t.shape[t.shape.count - 2], 1)
            return try Tensor(dtype: t.dtype, shape: shape, bytes: [UInt8](repeating: 0, count: row) + t.bytes)
        case let .rowsAfterFirst(n):
            let t = try get(n)
            let row = t.byteCount / max(t.shape[t.shape.count - 2], 1)
            return try t.withUnsafeBytes { try Tensor(dtype: t.dtype, shape: shape, bytes: Array($0[row...])) }
        case let .clsPlusPosRow0(c, p):
            let cls = try get(c), pos = try get(p)
            let d = cls.elementCount
            let sum = zip(cls.floats(), pos.floats().prefix(d)).map { $0 + $1 }
            return try Tensor(shape: shape, float32: sum).converted(to: cls.dtype)
        case .zeros:
            let n = shape.reduce(1, *)
            return try Tensor(shape: shape, float32: [Float](repeating: 0, count: n)).converted(to: dtype)
        case .ones:
            let n = shape.reduce(1, *)
            return try Tensor(shape: shape, float32: [Float](repeating: 1, count: n)).converted(to: dtype)
        }
    }
}

/// Everything an export writes besides the tensors' bytes, decided from the config (and, for tensors the layout
/// has no place for, their values).
public struct ExportPlan: Sendable {
    /// The layout.
    public let layout: ExportLayout
    /// The target class or architecture (`ViTForImageClassification`, `vit_base_patch16_clip_quickgelu_224`,
    /// `torchvision.models.VisionTransformer`).
    public let target: String
    /// The tensors in the layout's state-dict order.
    public let tensors: [ExportTensor]
    /// The library's config file (`config.json`), if the layout has one.
    public let config: ConfigJSON?
    /// The preprocessing file (`preprocessor_config.json` for transformers), if any.
    public let preprocessor: ConfigJSON?
    /// Facts the user should know (constants filled in, assumptions about preprocessing, a constructor call).
    public let notes: [String]
}
