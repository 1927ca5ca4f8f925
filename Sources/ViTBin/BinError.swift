import ViTTensor

/// Errors reading or writing ViTKit `.bin` files: one case per rule, each naming the file (and the
/// tensor where there is one) with what was expected and what was found.
public enum BinError: Error, Equatable, CustomStringConvertible, Sendable {
    // Reading
    /// The file cannot be opened or mapped.
    case io(file: String, message: String)
    /// The file does not start with the `.bin` magic.
    case badMagic(file: String)
    /// The file ends before the part its header describes.
    case truncated(file: String, expectedBytes: Int, foundBytes: Int)
    /// A format version newer than this reader supports.
    case newerVersion(file: String, found: UInt32, supported: UInt32)
    /// Version 0, which no writer produces.
    case invalidVersion(file: String, found: UInt32)
    /// Flag bits this reader does not know (all must be 0 in version 1).
    case unknownFlags(file: String, flags: UInt32)
    /// The header length exceeds the limit.
    case headerTooLarge(file: String, length: UInt64, limit: Int)
    /// The header checksum does not match the header: the header is corrupt.
    case headerChecksumMismatch(file: String, stored: UInt64, computed: UInt64)
    /// The header bytes do not follow the layout (`offset` is relative to the header start).
    case malformedHeader(file: String, offset: Int, detail: String)
    /// A dtype string that is not one of ViTKit's dtypes.
    case unknownDType(file: String, tensor: String, found: String)
    /// A rank above `BinFormat.maxRank`.
    case rankTooLarge(file: String, tensor: String, rank: UInt32, limit: Int)
    /// The shape's element or byte count does not fit in 64 bits.
    case shapeOverflow(file: String, tensor: String, shape: [UInt64])
    /// The stored byte length is not shape × dtype size.
    case byteLengthMismatch(file: String, tensor: String, expected: Int, found: UInt64)
    /// A data offset that is not a multiple of the alignment.
    case misalignedOffset(file: String, tensor: String, offset: UInt64, alignment: Int)
    /// A tensor's data starts inside the header area.
    case tensorOverlapsHeader(file: String, tensor: String, offset: UInt64, dataStart: Int)
    /// A tensor's data starts before the previous tensor's data ends.
    case overlappingTensors(file: String, tensor: String, offset: UInt64, previous: String, previousEnd: Int)
    /// A tensor does not start at the first aligned offset after the previous one (gaps are not allowed).
    case unexpectedGap(file: String, tensor: String, expectedOffset: Int, found: UInt64)
    /// A tensor's data extends past the end of the file.
    case tensorOutOfBounds(file: String, tensor: String, offset: UInt64, byteLength: UInt64, fileSize: Int)
    /// Two tensors with the same name.
    case duplicateTensorName(file: String, name: String)
    /// Two metadata entries with the same key.
    case duplicateMetadataKey(file: String, key: String)
    /// Bytes after the trailer.
    case trailingBytes(file: String, expectedBytes: Int, foundBytes: Int)
    /// A padding byte that is not zero.
    case nonZeroPadding(file: String, offset: Int)
    /// The file does not end with the end magic.
    case badEndMagic(file: String)
    /// The checksum over the whole file does not match: some byte is corrupt.
    case checksumMismatch(file: String, stored: UInt64, computed: UInt64)
    /// `tensor(named:)` was asked for a name the file does not hold.
    case tensorNotFound(file: String, name: String)

    // Writing
    /// Creating, writing or renaming the output failed.
    case write(AtomicFileError)
    /// A tensor in the writer's list has an invalid shape (negative dimension or size overflow).
    case invalidShape(file: String, tensor: String, shape: [Int])
    /// A name, dtype, config or metadata string longer than a u32 length can say, or a header above the limit.
    case stringTooLong(file: String, what: String, length: Int, limit: Int)
    /// A tensor name is empty.
    case emptyTensorName(file: String)
    /// Data was given for a tensor other than the next one in the list (nil: the list is complete).
    case unexpectedTensor(file: String, expected: String?, found: String)
    /// Data was given with another dtype than the list says.
    case dtypeMismatch(file: String, tensor: String, expected: DType, found: DType)
    /// Data was given with another shape than the list says.
    case shapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])
    /// Data was given with another byte count than shape × dtype size.
    case dataSizeMismatch(file: String, tensor: String, expected: Int, found: Int)
    /// `finish()` was called before every listed tensor was written.
    case missingTensors(file: String, names: [String])
    /// The writer was already finished.
    case writerFinished(file: String)

    public var description: String {
        switch self {
        case let .io(f, m): return "\(f): \(m)"
        case let .badMagic(f): return "\(f): not a ViTKit .bin file (expected the magic \\x89VITKIT\\n at the start)"
        case let .truncated(f, e, n): return "\(f): file is truncated: expected \(e) bytes, found \(n)"
        case let .newerVersion(f, v, s):
            return "\(f): written by a newer ViTKit: format version \(v), this reader supports up to \(s); update ViTKit"
        case let .invalidVersion(f, v): return "\(f): invalid format version \(v) (expected 1 or later)"
        case let .unknownFlags(f, fl): return "\(f): unknown flag bits 0x\(String(fl, radix: 16)) (expected 0 in format version 1)"
        case let .headerTooLarge(f, l, lim): return "\(f): header of \(l) bytes exceeds the limit of \(lim) bytes"
        case let .headerChecksumMismatch(f, s, c):
            return "\(f): header checksum mismatch (stored \(hex(s)), computed \(hex(c))): the header is corrupt"
        case let .malformedHeader(f, o, d): return "\(f): malformed header at header byte \(o): \(d)"
        case let .unknownDType(f, t, d): return "\(f): tensor '\(t)': unknown dtype '\(d)' (expected one of \(DType.allCases.map(\.rawValue).joined(separator: ", ")))"
        case let .rankTooLarge(f, t, r, lim): return "\(f): tensor '\(t)': rank \(r) exceeds the limit of \(lim)"
        case let .shapeOverflow(f, t, s): return "\(f): tensor '\(t)': shape \(s) has more elements or bytes than fit in 64 bits"
        case let .byteLengthMismatch(f, t, e, n): return "\(f): tensor '\(t)': shape and dtype need \(e) bytes, header says \(n)"
        case let .misalignedOffset(f, t, o, a): return "\(f): tensor '\(t)': data offset \(o) is not a multiple of \(a)"
        case let .tensorOverlapsHeader(f, t, o, d): return "\(f): tensor '\(t)': data offset \(o) lies in the header area (data starts at \(d))"
        case let .overlappingTensors(f, t, o, p, e): return "\(f): tensor '\(t)': data offset \(o) overlaps tensor '\(p)', which ends at \(e)"
        case let .unexpectedGap(f, t, e, o): return "\(f): tensor '\(t)': data offset \(o), expected \(e) (tensors are stored in order without gaps)"
        case let .tensorOutOfBounds(f, t, o, l, s):
            return "\(f): tensor '\(t)': data [\(o), \(o) + \(l)) extends past the end of the file (\(s) bytes): truncated file or corrupt header"
        case let .duplicateTensorName(f, n): return "\(f): tensor name '\(n)' appears more than once"
        case let .duplicateMetadataKey(f, k): return "\(f): metadata key '\(k)' appears more than once"
        case let .trailingBytes(f, e, n): return "\(f): \(n - e) unexpected bytes after the end of the file (expected \(e) bytes, found \(n))"
        case let .nonZeroPadding(f, o): return "\(f): padding byte at offset \(o) is not zero"
        case let .badEndMagic(f): return "\(f): the file does not end with the .bin end magic: truncated or corrupt"
        case let .checksumMismatch(f, s, c):
            return "\(f): checksum mismatch (stored \(hex(s)), computed \(hex(c))): the file is corrupt"
        case let .tensorNotFound(f, n): return "\(f): no tensor named '\(n)'"
        case let .write(e): return e.description
        case let .invalidShape(f, t, s): return "\(f): tensor '\(t)': invalid shape \(Shape.describe(s))"
        case let .stringTooLong(f, w, l, lim): return "\(f): \(w) of \(l) bytes exceeds the limit of \(lim) bytes"
        case let .emptyTensorName(f): return "\(f): a tensor name is empty"
        case let .unexpectedTensor(f, e, n):
            if let e { return "\(f): expected data for tensor '\(e)' next, got '\(n)'" }
            return "\(f): every listed tensor is written; got extra tensor '\(n)'"
        case let .dtypeMismatch(f, t, e, n): return "\(f): tensor '\(t)': listed as \(e.rawValue), data is \(n.rawValue)"
        case let .shapeMismatch(f, t, e, n): return "\(f): tensor '\(t)': listed with shape \(Shape.describe(e)), data has \(Shape.describe(n))"
        case let .dataSizeMismatch(f, t, e, n): return "\(f): tensor '\(t)': expected \(e) bytes of data, got \(n)"
        case let .missingTensors(f, n): return "\(f): not finished: \(n.count) listed tensors not written (first: '\(n.first ?? "")')"
        case let .writerFinished(f): return "\(f): the writer is already finished"
        }
    }
}

private func hex(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: 16 - s.count) + s
}
