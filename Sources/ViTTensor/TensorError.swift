/// Errors of the tensor core.
public enum TensorError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A byte buffer does not hold `shape` × dtype size bytes.
    case byteCountMismatch(expected: Int, found: Int, shape: [Int], dtype: DType)
    /// A shape has a negative dimension or its byte size overflows.
    case invalidShape([Int])
    /// A conversion that has no meaning (e.g. to a float from BOOL is allowed, but not the reverse).
    case unsupportedConversion(from: DType, to: DType)
    /// Memory-mapping or reading a file failed.
    case io(path: String, message: String)

    public var description: String {
        switch self {
        case let .byteCountMismatch(e, f, s, d):
            return "tensor of shape \(Shape.describe(s)) and dtype \(d.rawValue) needs \(e) bytes, found \(f)"
        case let .invalidShape(s):
            return "invalid shape \(Shape.describe(s)): negative dimension or size overflows"
        case let .unsupportedConversion(f, t):
            return "cannot convert \(f.rawValue) to \(t.rawValue)"
        case let .io(p, m):
            return "\(p): \(m)"
        }
    }
}
