import ViTTensor

/// The only globals a `torch.save` state dict may name. Anything else is refused when the
/// `GLOBAL` opcode is read, before any later opcode runs.
enum AllowedGlobal: Equatable, Sendable {
    /// `collections.OrderedDict` (callable with no arguments; its state may be set by `BUILD`).
    case orderedDict
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
    case rebuildTensorV2
    /// `torch._utils._rebuild_tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype[, metadata])`.
    case rebuildTensorV3
    /// `torch._utils._rebuild_parameter(data, requires_grad, hooks)`.
    case rebuildParameter
    /// `torch._utils._rebuild_parameter_with_state(data, requires_grad, hooks, state)`.
    case rebuildParameterWithState
    /// A storage class (`torch.FloatStorage`, ..., `torch.storage.UntypedStorage`); only valid inside a persistent id.
    case storageType(name: String, dtype: DType)
    /// A dtype (`torch.float8_e4m3fn`, ...); only valid as `_rebuild_tensor_v3`'s dtype argument.
    case dtype(name: String, dtype: DType)

    /// Storage classes by name (module `torch`), with the element type of their bytes.
    static let storageTypes: [String: DType] = [
        "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16, "DoubleStorage": .f64,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
        "ByteStorage": .u8, "BoolStorage": .bool,
    ]

    /// dtype globals by name (module `torch`), as torch pickles `torch.dtype` objects.
    static let dtypes: [String: DType] = [
        "float32": .f32, "float16": .f16, "bfloat16": .bf16, "float64": .f64, "int64": .i64, "int32": .i32,
        "int16": .i16, "int8": .i8, "uint8": .u8, "bool": .bool, "uint16": .u16, "uint32": .u32, "uint64": .u64,
        "float8_e5m2": .f8e5m2, "float8_e4m3fn": .f8e4m3,
    ]

    /// The allowed global called `module.name`, or nil when it is not allowed.
    static func lookup(module: String, name: String) -> AllowedGlobal? {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor_v3"): return .rebuildTensorV3
        case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): return .rebuildParameterWithState
        case ("torch.storage", "UntypedStorage"), ("torch", "UntypedStorage"): return .storageType(name: name, dtype: .u8)
        case ("torch", _):
            if let d = storageTypes[name] { return .storageType(name: name, dtype: d) }
            if let d = dtypes[name] { return .dtype(name: name, dtype: d) }
            return nil
        default:
            return nil
        }
    }

    /// `module.name` as Python spells it.
    var qualifiedName: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildTensorV3: return "torch._utils._rebuild_tensor_v3"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: return "torch._utils._rebuild_parameter_with_state"
        case let .storageType(n, _): return n == "UntypedStorage" ? "torch.storage.UntypedStorage" : "torch.\(n)"
        case let .dtype(n, _): return "torch.\(n)"
        }
    }
}
