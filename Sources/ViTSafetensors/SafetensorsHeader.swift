import ViTTensor

/// The parsed and fully validated header of a safetensors file.
///
/// Layout: bytes 0..<8 hold `n` (UInt64 little-endian), bytes 8..<8+n a UTF-8 JSON object, and the rest is
/// the data section that every `data_offsets` pair is relative to. See docs/safetensors.md for the rules.
public struct SafetensorsHeader: Sendable, Equatable {
    /// One tensor's header entry.
    public struct Entry: Sendable, Equatable {
        /// The tensor's name (its JSON key).
        public let name: String
        /// Element type.
        public let dtype: DType
        /// Dimensions, outermost first (`[]` for a scalar).
        public let shape: [Int]
        /// First byte of the tensor, relative to the start of the data section.
        public let begin: Int
        /// One past the last byte, relative to the start of the data section.
        public let end: Int

        /// Name, dtype and shape.
        public var info: TensorInfo { TensorInfo(name: name, dtype: dtype, shape: shape) }
    }

    /// The largest header length accepted (the Rust crate's `MAX_HEADER_SIZE`).
    public static let maxHeaderLength = 100_000_000

    /// `n`, the header's length in bytes (JSON text plus any padding).
    public let headerLength: Int
    /// `__metadata__` (empty when absent or `null`).
    public let metadata: [String: String]
    /// The tensors in data-offset order (ties between zero-size tensors keep header order).
    public let entries: [Entry]

    /// Offset of the data section from the start of the file: `8 + n`.
    public var dataStart: Int { 8 + headerLength }

    /// Parses and validates a safetensors header, applying every rule of the reference reader plus
    /// ViTKit's refusals (duplicate names and keys, too-deep JSON). Never traps, whatever the bytes.
    /// - Parameters:
    ///   - bytes: the file's bytes, at least its first `8 + n` (normally the whole memory mapping).
    ///   - fileSize: the file's total size, which the tensors must cover exactly.
    ///   - path: the file's path, for error messages.
    /// - Returns: the header, with entries in data-offset order.
    /// - Throws: `SafetensorsError`, one case per rule, naming the file and the tensor.
    public static func parse(bytes: UnsafeRawBufferPointer, fileSize: Int, path: String) throws -> SafetensorsHeader {
        let available = max(0, min(bytes.count, fileSize))
        guard available >= 8 else { throw SafetensorsError.headerTooSmall(file: path, fileSize: available) }
        var n64: UInt64 = 0
        for k in 0..<8 { n64 |= UInt64(bytes[k]) << UInt64(8 * k) }
        guard n64 <= UInt64(maxHeaderLength) else {
            throw SafetensorsError.headerTooLarge(file: path, headerLength: n64, limit: maxHeaderLength)
        }
        let n = Int(n64)
        guard n <= available - 8 else { throw SafetensorsError.invalidHeaderLength(file: path, headerLength: n, fileSize: available) }
        let json = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + n)])

        var parser = HeaderJSON(path: path)
        do {
            try parser.parse(json)
        } catch let f as JSONReader.Failure {
            switch f.kind {
            case .invalidUTF8: throw SafetensorsError.invalidUTF8(file: path, offset: f.offset)
            case let .tooDeep(limit): throw SafetensorsError.jsonTooDeep(file: path, offset: f.offset, limit: limit)
            case let .syntax(e, found): throw SafetensorsError.invalidJSON(file: path, offset: f.offset, expected: e, found: found)
            }
        }

        // Rules applied in offset order: contiguous from 0, size from shape × dtype, no overflow.
        let sorted = parser.entries.enumerated().sorted { a, b in
            (a.element.begin, a.element.end, a.offset) < (b.element.begin, b.element.end, b.offset)
        }.map(\.element)
        var cursor = 0
        for e in sorted {
            guard e.begin == cursor else {
                throw SafetensorsError.invalidOffset(file: path, tensor: e.name, expectedBegin: cursor, foundBegin: e.begin)
            }
            guard let size = Shape.byteCount(e.shape, dtype: e.dtype) else {
                throw SafetensorsError.invalidShape(file: path, tensor: e.name, shape: e.shape, dtype: e.dtype.rawValue)
            }
            guard e.end - e.begin == size else {
                throw SafetensorsError.tensorSizeMismatch(file: path, tensor: e.name, expectedBytes: size, foundBytes: e.end - e.begin)
            }
            cursor = e.end
        }
        let dataSize = max(0, fileSize) - (8 + n)
        guard cursor == dataSize else { throw SafetensorsError.incompleteBuffer(file: path, dataEnd: cursor, dataSize: dataSize) }
        return SafetensorsHeader(headerLength: n, metadata: parser.metadata, entries: sorted)
    }
}

/// Reads the header JSON into entries and metadata, applying the per-entry rules in header order.
private struct HeaderJSON {
    let path: String
    var metadata: [String: String] = [:]
    var sawMetadata = false
    var entries: [SafetensorsHeader.Entry] = []
    var names = Set<String>()

    init(path: String) { self.path = path }

    mutating func parse(_ json: UnsafeRawBufferPointer) throws {
        var r = try JSONReader(bytes: json)
        switch r.peekKind() {
        case .object: break
        case .end, .invalid: throw r.syntaxError("a JSON object", at: r.position)
        default: throw SafetensorsError.headerNotObject(file: path, found: try r.describeValue())
        }
        try r.readObject(depth: 1) { r, key, _ in
            if key == "__metadata__" {
                guard !sawMetadata else {
                    throw SafetensorsError.invalidMetadata(file: path, expected: "given once", found: "a second `__metadata__` entry")
                }
                sawMetadata = true
                metadata = try readMetadata(&r)
            } else {
                guard names.insert(key).inserted else { throw SafetensorsError.duplicateTensor(file: path, tensor: key) }
                entries.append(try readEntry(&r, name: key))
            }
        }
        try r.expectEnd()
    }

    /// `null` (as the crate accepts) or an object of strings with distinct keys.
    func readMetadata(_ r: inout JSONReader) throws -> [String: String] {
        switch r.peekKind() {
        case .object: break
        case .literal:
            let save = r
            if try r.readLiteral() == "null" { return [:] }
            r = save
            fallthrough
        default:
            throw SafetensorsError.invalidMetadata(file: path, expected: "an object of string values", found: try r.describeValue())
        }
        var out: [String: String] = [:]
        try r.readObject(depth: 2) { r, key, _ in
            guard r.peekKind() == .string else {
                throw SafetensorsError.invalidMetadata(file: path, expected: "an object of string values",
                                                       found: "key `\(key)` holding \(try r.describeValue())")
            }
            let value = try r.readString()
            guard out.updateValue(value, forKey: key) == nil else {
                throw SafetensorsError.invalidMetadata(file: path, expected: "an object with distinct keys", found: "key `\(key)` more than once")
            }
        }
        return out
    }

    func readEntry(_ r: inout JSONReader, name: String) throws -> SafetensorsHeader.Entry {
        guard r.peekKind() == .object else {
            throw SafetensorsError.entryNotObject(file: path, tensor: name, found: try r.describeValue())
        }
        var dtype: DType?
        var shape: [Int]?
        var offsets: [Int]?
        try r.readObject(depth: 2) { r, field, _ in
            switch field {
            case "dtype":
                guard dtype == nil else { throw SafetensorsError.duplicateField(file: path, tensor: name, field: field) }
                guard r.peekKind() == .string else {
                    throw SafetensorsError.invalidField(file: path, tensor: name, field: field,
                                                        expected: "a dtype string such as \"F32\"", found: try r.describeValue())
                }
                let s = try r.readString()
                switch SafetensorsDTypes.lookup(s) {
                case let .supported(d): dtype = d
                case .unsupported: throw SafetensorsError.unsupportedDType(file: path, tensor: name, dtype: s)
                case .unknown: throw SafetensorsError.unknownDType(file: path, tensor: name, dtype: s)
                }
            case "shape":
                guard shape == nil else { throw SafetensorsError.duplicateField(file: path, tensor: name, field: field) }
                shape = try readIntegers(&r, name: name, field: field, expected: "an array of non-negative integers", maxCount: nil)
            case "data_offsets":
                guard offsets == nil else { throw SafetensorsError.duplicateField(file: path, tensor: name, field: field) }
                offsets = try readIntegers(&r, name: name, field: field, expected: "[begin, end], two non-negative integers", maxCount: 2)
            default:
                try r.skipValue(depth: 3)  // unknown fields are ignored, as the crate does
            }
        }
        guard let dtype else { throw SafetensorsError.missingField(file: path, tensor: name, field: "dtype") }
        guard let shape else { throw SafetensorsError.missingField(file: path, tensor: name, field: "shape") }
        guard let offsets else { throw SafetensorsError.missingField(file: path, tensor: name, field: "data_offsets") }
        guard offsets.count == 2 else {
            throw SafetensorsError.invalidField(file: path, tensor: name, field: "data_offsets",
                                                expected: "[begin, end], two non-negative integers", found: "\(offsets.count) element\(offsets.count == 1 ? "" : "s")")
        }
        guard offsets[0] <= offsets[1] else {
            throw SafetensorsError.offsetsReversed(file: path, tensor: name, begin: offsets[0], end: offsets[1])
        }
        return SafetensorsHeader.Entry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
    }

    /// An array of non-negative integers that fit `Int`, at most `maxCount` long.
    func readIntegers(_ r: inout JSONReader, name: String, field: String, expected: String, maxCount: Int?) throws -> [Int] {
        guard r.peekKind() == .array else {
            throw SafetensorsError.invalidField(file: path, tensor: name, field: field, expected: expected, found: try r.describeValue())
        }
        var values: [Int] = []
        try r.readArray(depth: 3) { r, index in
            if let maxCount, index >= maxCount {
                throw SafetensorsError.invalidField(file: path, tensor: name, field: field, expected: expected, found: "more than \(maxCount) elements")
            }
            guard r.peekKind() == .number else {
                throw SafetensorsError.invalidField(file: path, tensor: name, field: field, expected: expected,
                                                    found: "element \(index) being \(try r.describeValue())")
            }
            let number = try r.readNumber()
            guard let v = r.nonNegativeInt(number) else {
                throw SafetensorsError.invalidField(file: path, tensor: name, field: field, expected: expected,
                                                    found: "element \(index) being \(r.describe(number))")
            }
            values.append(v)
        }
        return values
    }
}
