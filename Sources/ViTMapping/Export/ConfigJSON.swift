import Foundation

/// A JSON value with ordered object keys, for the config files an export writes (key order as the libraries
/// write them, so files diff well).
public indirect enum ConfigJSON: Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null
    case array([ConfigJSON])
    case object([(String, ConfigJSON)])

    public static func == (a: ConfigJSON, b: ConfigJSON) -> Bool { a.text() == b.text() }

    /// The value under `key` of an object.
    public subscript(key: String) -> ConfigJSON? {
        if case let .object(kv) = self { return kv.first { $0.0 == key }?.1 }
        return nil
    }

    /// The object's keys, in order (empty for other values).
    public var keys: [String] {
        if case let .object(kv) = self { return kv.map(\.0) }
        return []
    }

    /// JSON text, indented by two spaces per level like `json.dump(indent=2)`.
    public func text(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent + 1), end = String(repeating: "  ", count: indent)
        switch self {
        case let .string(s): return ConfigJSON.quote(s)
        case let .int(i): return String(i)
        case let .double(d): return ConfigJSON.number(d)
        case let .bool(b): return b ? "true" : "false"
        case .null: return "null"
        case let .array(a):
            if a.isEmpty { return "[]" }
            if a.allSatisfy({ if case .object = $0 { return false }; if case .array = $0 { return false }; return true }) {
                return "[" + a.map { $0.text() }.joined(separator: ", ") + "]"
            }
            return "[\n" + a.map { pad + $0.text(indent: indent + 1) }.joined(separator: ",\n") + "\n\(end)]"
        case let .object(kv):
            if kv.isEmpty { return "{}" }
            return "{\n" + kv.map { pad + ConfigJSON.quote($0.0) + ": " + $0.1.text(indent: indent + 1) }
                .joined(separator: ",\n") + "\n\(end)}"
        }
    }

    /// A double as Python's `repr` writes it for the values configs hold (shortest round trip, `.0` kept).
    static func number(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d == d.rounded(), abs(d) < 1e15 { return String(format: "%.1f", d) }
        return "\(d)"
    }

    /// `s` as a JSON string literal (also the `--suggest-map` file's keys and values).
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
