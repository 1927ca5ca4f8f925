/// The element types a ViTKit tensor can hold.
///
/// Raw values are the safetensors dtype strings (case-sensitive), which other formats map onto.
public enum DType: String, Sendable, CaseIterable, Codable, Hashable {
    case bool = "BOOL"
    case u8 = "U8"
    case i8 = "I8"
    case f8e5m2 = "F8_E5M2"
    case f8e4m3 = "F8_E4M3"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// Size of one element in bytes.
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .f64, .i64, .u64: return 8
        }
    }

    /// True for the floating-point types (including the 8-bit floats).
    public var isFloatingPoint: Bool {
        switch self {
        case .f8e5m2, .f8e4m3, .f16, .bf16, .f32, .f64: return true
        default: return false
        }
    }

    /// Rank in the safetensors crate's `Dtype` enum; the writer sorts by it (descending) then by name.
    public var safetensorsOrder: Int {
        switch self {
        case .bool: return 0
        case .u8: return 4
        case .i8: return 5
        case .f8e5m2: return 6
        case .f8e4m3: return 7
        case .i16: return 11
        case .u16: return 12
        case .f16: return 13
        case .bf16: return 14
        case .i32: return 15
        case .u32: return 16
        case .f32: return 17
        case .f64: return 19
        case .i64: return 20
        case .u64: return 21
        }
    }

    /// Parses a lower-case short name as used on command lines (`f32`, `f16`, `bf16`, ...).
    public init?(shortName: String) {
        guard let d = DType(rawValue: shortName.uppercased()) else { return nil }
        self = d
    }

    /// The lower-case short name (`f32`, `bf16`, ...).
    public var shortName: String { rawValue.lowercased() }
}
