/// The value of one HDF5 attribute, as numbers or strings.
///
/// Integers (any width, either byte order, and 1-byte bool enums) become `Int64`; floats become `Double`;
/// fixed-length and variable-length strings, ASCII or UTF-8, become `String`. A scalar dataspace gives the
/// singular case; a simple dataspace of any rank gives the array case, flattened in C order.
public enum HDF5Attribute: Equatable, Sendable {
    /// A scalar integer (or bool enum: 0 / 1).
    case int(Int64)
    /// A scalar float.
    case float(Double)
    /// A scalar string.
    case string(String)
    /// An integer array.
    case ints([Int64])
    /// A float array.
    case floats([Double])
    /// A string array (Keras `layer_names`, `weight_names`).
    case strings([String])

    /// The value as metadata text: strings as they are, numbers as decimal text, arrays as JSON arrays
    /// (non-finite floats as the JSON strings "NaN", "Infinity", "-Infinity").
    public var rendered: String {
        switch self {
        case let .string(s): return s
        case let .int(v): return String(v)
        case let .float(v): return HDF5Attribute.number(v)
        case let .ints(vs): return "[" + vs.map(String.init).joined(separator: ", ") + "]"
        case let .floats(vs): return "[" + vs.map { $0.isFinite ? HDF5Attribute.number($0) : "\"\(HDF5Attribute.number($0))\"" }.joined(separator: ", ") + "]"
        case let .strings(vs): return "[" + vs.map(HDF5Attribute.jsonString).joined(separator: ", ") + "]"
        }
    }

    /// The strings of a string attribute (a scalar string is a list of one), nil for numbers;
    /// an empty numeric array (Keras writes `weight_names = []` as an empty float array) is an empty list.
    public var stringList: [String]? {
        switch self {
        case let .string(s): return [s]
        case let .strings(vs): return vs
        case let .ints(vs) where vs.isEmpty: return []
        case let .floats(vs) where vs.isEmpty: return []
        default: return nil
        }
    }

    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Infinity" : "Infinity" }
        return "\(v)"
    }

    /// `s` as a JSON string literal.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
