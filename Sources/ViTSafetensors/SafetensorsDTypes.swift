import ViTTensor

/// The dtype strings of the safetensors format and how they map onto ViTKit's `DType`.
public enum SafetensorsDTypes {
    /// Every dtype string the safetensors format defines, in the Rust crate's enum order.
    public static let allNames: [String] = [
        "BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ",
        "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64",
    ]

    /// Valid safetensors dtypes that ViTKit's `DType` cannot hold.
    public static let unsupportedNames: Set<String> = [
        "F4", "F6_E2M3", "F6_E3M2", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "C64",
    ]

    /// The dtype strings ViTKit reads and writes, in the crate's enum order.
    public static var supportedNames: [String] { allNames.filter { DType(rawValue: $0) != nil } }

    /// What a header's dtype string means.
    enum Lookup: Equatable {
        case supported(DType)
        case unsupported
        case unknown
    }

    /// Classifies a dtype string (case-sensitive, as the crate is).
    static func lookup(_ name: String) -> Lookup {
        if let d = DType(rawValue: name) { return .supported(d) }
        return unsupportedNames.contains(name) ? .unsupported : .unknown
    }
}
