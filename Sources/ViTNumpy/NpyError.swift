/// Errors reading or writing NumPy `.npy` files. Every case names the file.
public enum NpyError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file does not start with `\x93NUMPY`.
    case badMagic(file: String)
    /// The format version is not 1.0, 2.0 or 3.0.
    case unsupportedVersion(file: String, major: Int, minor: Int)
    /// The file ends before the header or the data does.
    case truncated(file: String, expectedBytes: Int, foundBytes: Int)
    /// The header length field is larger than allowed.
    case headerTooLarge(file: String, length: Int, limit: Int)
    /// The header is not the Python dict literal numpy writes.
    case malformedHeader(file: String, detail: String)
    /// The `descr` names a dtype ViTKit does not read.
    case unsupportedDType(file: String, descr: String)
    /// The shape has a negative dimension or its size overflows.
    case invalidShape(file: String, shape: [Int])
    /// Bytes after the array data.
    case trailingBytes(file: String, expectedBytes: Int, foundBytes: Int)
    /// The array is not what the caller requires (e.g. vit-run needs little-endian C-order float32).
    case unexpectedArray(file: String, expected: String, found: String)
    /// Reading or writing the file failed.
    case io(file: String, message: String)

    public var description: String {
        switch self {
        case let .badMagic(f): return "\(f): not a .npy file (expected the magic \\x93NUMPY at the start)"
        case let .unsupportedVersion(f, a, b): return "\(f): .npy format version \(a).\(b) is not supported (expected 1.0, 2.0 or 3.0)"
        case let .truncated(f, e, n): return "\(f): file is truncated: expected at least \(e) bytes, found \(n)"
        case let .headerTooLarge(f, l, lim): return "\(f): .npy header of \(l) bytes exceeds the limit of \(lim) bytes"
        case let .malformedHeader(f, d): return "\(f): malformed .npy header: \(d)"
        case let .unsupportedDType(f, d): return "\(f): unsupported .npy dtype '\(d)' (expected a float, int, uint or bool type)"
        case let .invalidShape(f, s): return "\(f): invalid .npy shape \(s): negative dimension or size overflows"
        case let .trailingBytes(f, e, n): return "\(f): expected \(e) bytes of array data, found \(n)"
        case let .unexpectedArray(f, e, n): return "\(f): expected \(e), found \(n)"
        case let .io(f, m): return "\(f): \(m)"
        }
    }
}
