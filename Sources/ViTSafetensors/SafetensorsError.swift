import ViTTensor

/// Errors reading or writing safetensors files and checkpoints.
///
/// Every case names the file (or folder) and, where there is one, the tensor; the message says what was
/// expected and what was found. Reader rules follow the reference Rust crate (`SafeTensors::read_metadata`),
/// with a few deliberate refusals where the crate is lenient (duplicate names, see docs/safetensors.md).
public enum SafetensorsError: Error, Equatable, CustomStringConvertible, Sendable {
    // MARK: reading a file

    /// The file is shorter than the 8-byte header length field.
    case headerTooSmall(file: String, fileSize: Int)
    /// The header length field exceeds the 100,000,000-byte limit.
    case headerTooLarge(file: String, headerLength: UInt64, limit: Int)
    /// `8 + header length` runs past the end of the file.
    case invalidHeaderLength(file: String, headerLength: Int, fileSize: Int)
    /// The header bytes are not valid UTF-8; `offset` is the first bad byte, counted from the header start.
    case invalidUTF8(file: String, offset: Int)
    /// The header (or an index file) is not valid JSON; `offset` counts bytes from the start of the JSON text.
    case invalidJSON(file: String, offset: Int, expected: String, found: String)
    /// The JSON nests arrays/objects deeper than `limit`.
    case jsonTooDeep(file: String, offset: Int, limit: Int)
    /// The header's JSON value is not an object.
    case headerNotObject(file: String, found: String)
    /// `__metadata__` is not an object of string values (or appears twice, or repeats a key).
    case invalidMetadata(file: String, expected: String, found: String)
    /// A tensor name appears twice in the header (the Rust crate keeps the last one silently; we refuse).
    case duplicateTensor(file: String, tensor: String)
    /// A tensor entry is not a JSON object.
    case entryNotObject(file: String, tensor: String, found: String)
    /// A tensor entry lacks `dtype`, `shape` or `data_offsets`.
    case missingField(file: String, tensor: String, field: String)
    /// A tensor entry repeats a field.
    case duplicateField(file: String, tensor: String, field: String)
    /// A tensor entry's `dtype`, `shape` or `data_offsets` has the wrong JSON type or value.
    case invalidField(file: String, tensor: String, field: String, expected: String, found: String)
    /// The dtype string is not one of the safetensors dtypes.
    case unknownDType(file: String, tensor: String, dtype: String)
    /// The dtype is a valid safetensors dtype that ViTKit does not hold (F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ,
    /// C64, F4, F6_E2M3, F6_E3M2).
    case unsupportedDType(file: String, tensor: String, dtype: String)
    /// `data_offsets` has `begin > end`.
    case offsetsReversed(file: String, tensor: String, begin: Int, end: Int)
    /// In offset order, a tensor does not start where the previous one ended (or the first not at 0).
    case invalidOffset(file: String, tensor: String, expectedBegin: Int, foundBegin: Int)
    /// A shape has a negative dimension, or its byte size (elements × dtype size) overflows.
    case invalidShape(file: String, tensor: String, shape: [Int], dtype: String)
    /// `end − begin` differs from the shape's byte size.
    case tensorSizeMismatch(file: String, tensor: String, expectedBytes: Int, foundBytes: Int)
    /// The tensors do not cover the data section exactly (`dataEnd` = last end offset,
    /// `dataSize` = bytes after the header).
    case incompleteBuffer(file: String, dataEnd: Int, dataSize: Int)
    /// No tensor of that name.
    case tensorNotFound(file: String, tensor: String)
    /// Opening, mapping or reading a file failed.
    case io(file: String, message: String)

    // MARK: sharded checkpoints and folders

    /// An `*.safetensors.index.json` is not `{"metadata": {...}, "weight_map": {tensor: shard file}}`.
    case invalidIndex(file: String, expected: String, found: String)
    /// A shard holds a tensor the index's `weight_map` does not list.
    case tensorNotInIndex(file: String, tensor: String, shard: String)
    /// A shard holds a tensor the index assigns to another shard.
    case tensorInWrongShard(file: String, tensor: String, expectedShard: String, foundShard: String)
    /// The index assigns a tensor to a shard that does not hold it.
    case tensorMissingFromShard(file: String, tensor: String, shard: String)
    /// A folder holds no safetensors checkpoint.
    case noCheckpoint(folder: String)
    /// A folder holds more than one candidate checkpoint.
    case ambiguousCheckpoint(folder: String, candidates: [String])

    // MARK: writing

    /// A tensor name given to the writer is `__metadata__`, which the format reserves.
    case reservedName(file: String)
    /// The writer was given data for a tensor other than the next one declared.
    case unexpectedTensor(file: String, expected: String?, found: String)
    /// The data given for a tensor has another dtype or shape than declared.
    case tensorInfoMismatch(file: String, tensor: String, expected: String, found: String)
    /// The data given for a tensor has the wrong number of bytes.
    case byteCountMismatch(file: String, tensor: String, expectedBytes: Int, foundBytes: Int)
    /// `finish()` was called before every declared tensor was written.
    case missingTensors(file: String, tensors: [String])
    /// The writer was used after `finish()` or after a failed write.
    case writerClosed(file: String)

    public var description: String {
        switch self {
        case let .headerTooSmall(f, size):
            return "\(f): at least 8 bytes (the header length field), found a file of \(size) bytes"
        case let .headerTooLarge(f, n, limit):
            return "\(f): a header length of at most \(limit) bytes, found \(n)"
        case let .invalidHeaderLength(f, n, size):
            return "\(f): a header of \(n) bytes after the 8-byte length field, found a file of only \(size) bytes"
        case let .invalidUTF8(f, off):
            return "\(f): a UTF-8 header, found an invalid UTF-8 sequence at header byte \(off)"
        case let .invalidJSON(f, off, e, n):
            return "\(f): \(e) at JSON byte \(off), found \(n)"
        case let .jsonTooDeep(f, off, limit):
            return "\(f): JSON nested at most \(limit) levels deep, found deeper nesting at JSON byte \(off)"
        case let .headerNotObject(f, n):
            return "\(f): a JSON object as the header, found \(n)"
        case let .invalidMetadata(f, e, n):
            return "\(f): __metadata__ to be \(e), found \(n)"
        case let .duplicateTensor(f, t):
            return "\(f): each tensor name once, found `\(t)` more than once"
        case let .entryNotObject(f, t, n):
            return "\(f): tensor `\(t)` to be an object {dtype, shape, data_offsets}, found \(n)"
        case let .missingField(f, t, field):
            return "\(f): tensor `\(t)` to have a `\(field)` field, found none"
        case let .duplicateField(f, t, field):
            return "\(f): tensor `\(t)` to have one `\(field)` field, found it more than once"
        case let .invalidField(f, t, field, e, n):
            return "\(f): `\(field)` of tensor `\(t)` to be \(e), found \(n)"
        case let .unknownDType(f, t, d):
            return "\(f): tensor `\(t)` to have a safetensors dtype (\(SafetensorsDTypes.allNames.joined(separator: ", "))), found \"\(d)\""
        case let .unsupportedDType(f, t, d):
            return "\(f): tensor `\(t)` to have a dtype ViTKit supports (\(SafetensorsDTypes.supportedNames.joined(separator: ", "))), found \(d), a valid safetensors dtype ViTKit cannot hold"
        case let .offsetsReversed(f, t, b, e):
            return "\(f): data_offsets [begin, end] of tensor `\(t)` with begin ≤ end, found [\(b), \(e)]"
        case let .invalidOffset(f, t, e, n):
            return "\(f): tensor `\(t)` to start at data offset \(e) (tensors are contiguous from 0 in offset order), found \(n)"
        case let .invalidShape(f, t, s, d):
            return "\(f): tensor `\(t)` to have non-negative dimensions whose byte size fits in 64 bits, found shape \(s) of \(d)"
        case let .tensorSizeMismatch(f, t, e, n):
            return "\(f): tensor `\(t)` to span \(e) bytes (its shape × dtype size), found data_offsets spanning \(n)"
        case let .incompleteBuffer(f, end, size):
            if end < size {
                return "\(f): tensor data covering all \(size) bytes after the header, found data ending at \(end) (\(size - end) trailing bytes)"
            }
            return "\(f): tensor data ending within the \(size) bytes after the header, found data ending at \(end) (\(end - size) bytes missing)"
        case let .tensorNotFound(f, t):
            return "\(f): a tensor named `\(t)`, found none"
        case let .io(f, m):
            return "\(f): a readable file, found the error \"\(m)\""
        case let .invalidIndex(f, e, n):
            return "\(f): \(e), found \(n)"
        case let .tensorNotInIndex(f, t, s):
            return "\(f): every tensor of shard \(s) listed in weight_map, found `\(t)` missing from it"
        case let .tensorInWrongShard(f, t, e, n):
            return "\(f): tensor `\(t)` in shard \(e) as weight_map says, found it in \(n)"
        case let .tensorMissingFromShard(f, t, s):
            return "\(f): tensor `\(t)` in shard \(s) as weight_map says, found it missing there"
        case let .noCheckpoint(f):
            return "\(f): a folder holding model.safetensors, one *.safetensors file or one *.safetensors.index.json, found none"
        case let .ambiguousCheckpoint(f, c):
            return "\(f): one checkpoint in the folder, found several candidates (\(c.joined(separator: ", "))); open one of them by its path"
        case let .reservedName(f):
            return "\(f): tensor names other than `__metadata__` (reserved for the metadata), found it among the tensors"
        case let .unexpectedTensor(f, e, n):
            if let e { return "\(f): data for tensor `\(e)` next (tensors are written in the declared order), found `\(n)`" }
            return "\(f): no more tensors (all declared tensors are written), found `\(n)`"
        case let .tensorInfoMismatch(f, t, e, n):
            return "\(f): tensor `\(t)` as declared, \(e), found \(n)"
        case let .byteCountMismatch(f, t, e, n):
            return "\(f): \(e) bytes of data for tensor `\(t)`, found \(n)"
        case let .missingTensors(f, ts):
            let shown = ts.prefix(5).map { "`\($0)`" }.joined(separator: ", ") + (ts.count > 5 ? ", …" : "")
            return "\(f): data for every declared tensor before finish(), found \(ts.count) not written (\(shown))"
        case let .writerClosed(f):
            return "\(f): an open writer, found one already finished or failed"
        }
    }
}
