/// Errors of the facade itself (readers, mapping and the forward pass throw their own, unchanged).
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The mapping file cannot be read as UTF-8 text.
    case mapFileUnreadable(path: String)
    /// An option is out of range.
    case invalidOption(name: String, value: String, expected: String)

    public var description: String {
        switch self {
        case let .mapFileUnreadable(p):
            return "\(p): cannot read the mapping file (expected a UTF-8 JSON mapping file, see docs/conventions.md)"
        case let .invalidOption(n, v, e):
            return "option \(n): expected \(e), found \(v)"
        }
    }
}
