import ViTTensor

/// Errors reading or writing HDF5 files. Every case names the file; dataset cases name the object path.
public enum HDF5Error: Error, Equatable, CustomStringConvertible, Sendable {
    /// No file exists at the path.
    case fileNotFound(file: String)
    /// The file has no HDF5 signature at offset 0, 512, 1024, 2048, …
    case notHDF5(file: String)
    /// libhdf5 refused an operation (a corrupt or truncated file, an I/O failure, …); `stack` is
    /// libhdf5's error stack, outermost call first.
    case library(file: String, operation: String, stack: [String])
    /// A POSIX call on the file failed (e.g. permission denied).
    case io(file: String, operation: String, message: String)
    /// No tensor has this flattened name (or, for `tensor(atPath:)`, no dataset has this path).
    case datasetNotFound(file: String, name: String)
    /// No group or dataset has this path.
    case objectNotFound(file: String, path: String)
    /// The dataset's HDF5 type has no ViTKit dtype (strings, compound, variable-length, …).
    case unsupportedType(file: String, dataset: String, hdf5Class: String, detail: String)
    /// A 2-byte (or other) OPAQUE dataset without a `dtype` attribute saying what it holds.
    case unknownOpaque(file: String, dataset: String, byteSize: Int, tag: String)
    /// The dataset's dataspace is not simple or scalar (an HDF5 "null" dataspace holds no data).
    case unsupportedDataspace(file: String, dataset: String, kind: String)
    /// Element count × element size overflows (a hostile or absurd shape).
    case tooLarge(file: String, dataset: String, shape: [UInt64], elementSize: Int)
    /// A BOOL (HDF5 enum FALSE/TRUE) dataset holds a byte other than 0 or 1.
    case invalidBool(file: String, dataset: String, value: UInt8)
    /// Two object paths flatten to the same tensor name (`a.b` and `a/b` both become `a.b`).
    case nameCollision(file: String, name: String, paths: [String])
    /// A group is its own ancestor through hard links.
    case linkCycle(file: String, path: String)
    /// An attribute ViTKit cannot represent as numbers or strings.
    case unsupportedAttribute(file: String, object: String, attribute: String, detail: String)
    /// The writer was asked to store a tensor under an empty name, a name with `/`, `.` or `..`, or a NUL.
    case invalidTensorName(file: String, name: String)
    /// The writer was given the same tensor name twice.
    case duplicateTensorName(file: String, name: String)
    /// The writer cannot store this dtype in HDF5 (the 8-bit floats).
    case unsupportedDType(file: String, tensor: String, dtype: DType)
    /// A writer option is out of range (e.g. a gzip level outside 0…9).
    case invalidOption(file: String, detail: String)
    /// The writer was used after `commit()`.
    case writerClosed(file: String)
    /// libhdf5 crashed on the file in the isolated reader process (the file is malformed: damaged or
    /// hostile); `signal` is the signal that ended it. The calling process is unaffected.
    case readerCrashed(file: String, operation: String, signal: Int32)
    /// The isolated reader sent nothing and wrote no tensor bytes for `seconds` seconds (libhdf5 looping
    /// on a malformed file) and was stopped. `VITKIT_HDF5_WATCHDOG_SECONDS` sets the wait.
    case readerStalled(file: String, operation: String, seconds: Int)
    /// The isolated reader exited early, ran out of memory, or broke the protocol.
    case readerFailed(file: String, operation: String, detail: String)
    /// The isolated reader (`vit-hdf5-reader`) could not be found or started.
    case readerUnavailable(file: String, detail: String)

    public var description: String {
        switch self {
        case let .fileNotFound(f):
            return "\(f): no such file"
        case let .notHDF5(f):
            return "\(f): not an HDF5 file (no signature \\x89HDF\\r\\n\\x1a\\n at offset 0, 512, 1024, …)"
        case let .library(f, op, stack):
            let detail = stack.isEmpty ? "no details from libhdf5" : stack.joined(separator: "; ")
            return "\(f): libhdf5 failed \(op): \(detail)"
        case let .io(f, op, m):
            return "\(f): \(op) failed: \(m)"
        case let .datasetNotFound(f, n):
            return "\(f): no dataset named '\(n)'"
        case let .objectNotFound(f, p):
            return "\(f): no group or dataset at '\(p)'"
        case let .unsupportedType(f, d, c, detail):
            return "\(f): dataset '\(d)' has HDF5 class \(c) (\(detail)); expected a float, integer, bool or bfloat16 dataset"
        case let .unknownOpaque(f, d, n, tag):
            let tagText = tag.isEmpty ? "no tag" : "tag '\(tag)'"
            return "\(f): dataset '\(d)' is \(n)-byte OPAQUE with \(tagText) and no dtype attribute; "
                + "can't tell the dtype (expected the attribute dtype='bfloat16' as Keras writes)"
        case let .unsupportedDataspace(f, d, k):
            return "\(f): dataset '\(d)' has a \(k) dataspace; expected a simple or scalar dataspace"
        case let .tooLarge(f, d, s, size):
            let dims = "(" + s.map(String.init).joined(separator: ", ") + (s.count == 1 ? ",)" : ")")
            return "\(f): dataset '\(d)' of shape \(dims) with \(size)-byte elements is too large to hold in memory"
        case let .invalidBool(f, d, v):
            return "\(f): bool dataset '\(d)' holds the byte \(v); expected 0 or 1"
        case let .nameCollision(f, n, paths):
            return "\(f): the paths \(paths.map { "'\($0)'" }.joined(separator: " and ")) both flatten to the tensor name '\(n)'"
        case let .linkCycle(f, p):
            return "\(f): group '\(p)' links back to one of its own ancestors"
        case let .unsupportedAttribute(f, o, a, detail):
            return "\(f): attribute '\(a)' of '\(o)': \(detail); expected numbers or strings"
        case let .invalidTensorName(f, n):
            return "\(f): cannot store a tensor named '\(n)' (expected a non-empty name without '/' or NUL that is not '.' or '..')"
        case let .duplicateTensorName(f, n):
            return "\(f): tensor '\(n)' was written twice"
        case let .unsupportedDType(f, t, d):
            return "\(f): tensor '\(t)' has dtype \(d.rawValue), which HDF5 files written by ViTKit cannot hold"
        case let .invalidOption(f, detail):
            return "\(f): \(detail)"
        case let .writerClosed(f):
            return "\(f): the HDF5 writer was already committed"
        case let .readerCrashed(f, op, signal):
            return "\(f): libhdf5 crashed with \(HDF5Error.signalName(signal)) while \(op) in ViTKit's isolated reader process: "
                + "the file is malformed (damaged or hostile); nothing else was affected"
        case let .readerStalled(f, op, seconds):
            return "\(f): libhdf5 made no progress for \(seconds) s while \(op) and its reader process was stopped: "
                + "the file is probably malformed (set VITKIT_HDF5_WATCHDOG_SECONDS to wait longer)"
        case let .readerFailed(f, op, detail):
            return "\(f): the isolated HDF5 reader failed while \(op): \(detail); the file is probably malformed"
        case let .readerUnavailable(f, detail):
            return "\(f): cannot read HDF5 files: \(detail)"
        }
    }

    /// `SIGSEGV (signal 11)`; SIGSYS is the sandbox refusing a system call.
    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL",
                                      11: "SIGSEGV", 13: "SIGPIPE", 24: "SIGXCPU", 25: "SIGXFSZ",
                                      31: "SIGSYS, a system call the sandbox forbids"]
        return "\(names[signal] ?? "signal") (signal \(signal))"
    }
}
