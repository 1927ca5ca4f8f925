/// Errors resolving a checkpoint's preprocessing. Every case names the file and the key.
public enum PreprocessError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A preprocessing config file is not a JSON object, or cannot be read.
    case badFile(file: String, message: String)
    /// A key holds a value of the wrong kind.
    case badValue(file: String, key: String, expected: String, found: String)
    /// A valid setting ViTKit does not reproduce.
    case unsupported(file: String, key: String, value: String, hint: String)
    /// A command-line override is malformed.
    case badOverride(option: String, message: String)

    public var description: String {
        switch self {
        case let .badFile(f, m): return "\(f): \(m)"
        case let .badValue(f, k, e, n): return "\(f): \(k): expected \(e), found \(n)"
        case let .unsupported(f, k, v, h): return "\(f): \(k) \(v) is not supported; \(h)"
        case let .badOverride(o, m): return "\(o): \(m)"
        }
    }
}
