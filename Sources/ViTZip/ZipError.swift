/// Errors reading a ZIP archive (the container of `.npz` and `torch.save` files). Every case names the file,
/// and the member when one is concerned.
public enum ZipError: Error, Equatable, CustomStringConvertible, Sendable {
    /// No end-of-central-directory record: the file is not a ZIP archive (or is truncated at the end).
    case notAZip(file: String)
    /// The archive says it spans several disks.
    case multiDisk(file: String)
    /// The ZIP64 end records are missing, truncated or inconsistent with the classic end record.
    case badZip64EndRecord(file: String, detail: String)
    /// The central directory does not lie between the start of the file and the end records.
    case directoryOutOfBounds(file: String, offset: Int, size: Int, end: Int)
    /// The central directory holds a different number of entries than the end record declares.
    case entryCountMismatch(file: String, declared: Int, found: Int)
    /// A central directory header is malformed (bad signature, or it runs past the directory).
    case badCentralHeader(file: String, index: Int, offset: Int)
    /// A member's extra field is malformed (e.g. the ZIP64 field is missing a value it must hold).
    case badExtraField(file: String, member: String)
    /// A member name is empty, holds a NUL byte or is not UTF-8.
    case badName(file: String, index: Int)
    /// Two members have the same name.
    case duplicateMember(file: String, member: String)
    /// The member is encrypted.
    case encrypted(file: String, member: String)
    /// The member uses a compression method other than stored (0) or deflate (8).
    case unsupportedCompression(file: String, member: String, method: Int)
    /// A stored member whose compressed and uncompressed sizes differ.
    case storedSizeMismatch(file: String, member: String, compressed: Int, uncompressed: Int)
    /// A deflated member claims more than deflate can expand its compressed bytes to (1032:1).
    case implausibleSize(file: String, member: String, compressed: Int, uncompressed: Int)
    /// A member's header or data reaches outside its own region of the file (into the next member or the directory).
    case memberOutOfBounds(file: String, member: String, end: Int, limit: Int)
    /// The member's local header does not agree with the central directory.
    case badLocalHeader(file: String, member: String, detail: String)
    /// The deflate stream is corrupt, or inflates to a size other than declared.
    case corruptData(file: String, member: String, detail: String)
    /// The inflated bytes do not have the CRC-32 the directory declares.
    case checksumMismatch(file: String, member: String, expected: UInt32, found: UInt32)
    /// Opening or mapping the file failed.
    case io(file: String, message: String)

    public var description: String {
        switch self {
        case let .notAZip(f):
            return "\(f): not a ZIP archive (no end-of-central-directory record in the last 65,557 bytes)"
        case let .multiDisk(f):
            return "\(f): a multi-disk (spanned) ZIP archive is not supported"
        case let .badZip64EndRecord(f, d):
            return "\(f): bad ZIP64 end record: \(d)"
        case let .directoryOutOfBounds(f, o, s, e):
            return "\(f): the central directory (offset \(o), \(s) bytes) must end exactly at the end records (offset \(e))"
        case let .entryCountMismatch(f, d, n):
            return "\(f): the end record declares \(d) members, the central directory holds \(n)"
        case let .badCentralHeader(f, i, o):
            return "\(f): central directory header #\(i) at offset \(o) is malformed"
        case let .badExtraField(f, m):
            return "\(f): member '\(m)': malformed extra field (or a ZIP64 value it must hold is missing)"
        case let .badName(f, i):
            return "\(f): member #\(i) has an empty, NUL-holding or non-UTF-8 name"
        case let .duplicateMember(f, m):
            return "\(f): member '\(m)' appears more than once"
        case let .encrypted(f, m):
            return "\(f): member '\(m)' is encrypted"
        case let .unsupportedCompression(f, m, c):
            return "\(f): member '\(m)' uses compression method \(c); expected 0 (stored) or 8 (deflate)"
        case let .storedSizeMismatch(f, m, c, u):
            return "\(f): stored member '\(m)' has \(c) bytes in the file but declares \(u) bytes of content"
        case let .implausibleSize(f, m, c, u):
            return "\(f): member '\(m)' claims \(u) bytes from \(c) deflated bytes, beyond deflate's 1032:1 limit"
        case let .memberOutOfBounds(f, m, e, l):
            return "\(f): member '\(m)' extends to offset \(e), past the end of its region at \(l) (overlapping or truncated)"
        case let .badLocalHeader(f, m, d):
            return "\(f): member '\(m)': local header disagrees with the central directory: \(d)"
        case let .corruptData(f, m, d):
            return "\(f): member '\(m)': corrupt deflate data: \(d)"
        case let .checksumMismatch(f, m, e, n):
            return "\(f): member '\(m)': CRC-32 is \(hex(n)), the directory declares \(hex(e))"
        case let .io(f, m):
            return "\(f): \(m)"
        }
    }

    private func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
    }
}
