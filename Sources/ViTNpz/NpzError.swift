import ViTNumpy
import ViTZip

/// Errors reading a NumPy `.npz` archive. Every case names the file, and the member when one is concerned.
public enum NpzError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The ZIP container is not readable (not a ZIP, malformed directory, corrupt member, ...).
    case zip(ZipError)
    /// A member whose name does not end in `.npy`.
    case notNpy(file: String, member: String)
    /// A member's `.npy` header is malformed; the inner error names the member as its file.
    case badNpyHeader(file: String, member: String, error: NpyError)
    /// The member's size is not its `.npy` header plus the array bytes the header declares.
    case sizeMismatch(file: String, member: String, expected: Int, found: Int)
    /// No tensor of that name.
    case noSuchTensor(file: String, name: String)

    public var description: String {
        switch self {
        case let .zip(e):
            return e.description
        case let .notNpy(f, m):
            return "\(f): member '\(m)' is not a .npy array (an .npz holds only '<name>.npy' members)"
        case let .badNpyHeader(f, m, e):
            return "\(f): member '\(m)': \(e.description)"
        case let .sizeMismatch(f, m, e, n):
            return "\(f): member '\(m)': its .npy header and shape need \(e) bytes, the member holds \(n)"
        case let .noSuchTensor(f, n):
            return "\(f): no tensor named '\(n)'"
        }
    }
}
