import ViTTensor

/// One tensor-table entry as stored: info, absolute data offset and byte length.
struct BinTensorEntry: Sendable, Equatable {
    let info: TensorInfo
    let offset: Int
    let byteLength: Int
}

/// The decoded header of a `.bin` file.
struct BinHeader {
    var configJSON: String?
    /// Metadata in stored order.
    var metadata: [(key: String, value: String)]
    var tensors: [BinTensorEntry]

    // MARK: Encoding (writer)

    /// The header bytes for `tensors` (with their offsets), `configJSON` and `metadata` (sorted by
    /// UTF-8 bytes, for a deterministic file).
    static func encode(tensors: [BinTensorEntry], configJSON: String?, metadata: [String: String]) -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func string(_ s: String) { u32(UInt32(s.utf8.count)); out += s.utf8 }
        u32(UInt32(tensors.count))
        u32(UInt32(metadata.count))
        out.append(configJSON == nil ? 0 : 1)
        if let configJSON { string(configJSON) }
        for key in metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            string(key)
            string(metadata[key] ?? "")
        }
        for t in tensors {
            string(t.info.name)
            string(t.info.dtype.rawValue)
            u32(UInt32(t.info.shape.count))
            for d in t.info.shape { u64(UInt64(d)) }
            u64(UInt64(t.offset))
            u64(UInt64(t.byteLength))
        }
        return out
    }

    /// Bytes the header takes for these strings and shapes (without building it).
    static func encodedLength(tensors: [TensorInfo], configJSON: String?, metadata: [String: String]) -> Int {
        var n = 4 + 4 + 1
        if let configJSON { n += 4 + configJSON.utf8.count }
        for (k, v) in metadata { n += 8 + k.utf8.count + v.utf8.count }
        for t in tensors { n += 4 + t.name.utf8.count + 4 + t.dtype.rawValue.utf8.count + 4 + 8 * t.shape.count + 16 }
        return n
    }

    // MARK: Decoding (reader)

    /// Parses and checks the header bytes. Offsets and lengths are checked against the layout by
    /// the caller; here: structure, UTF-8, dtypes, ranks, shape overflow, byte lengths, uniqueness.
    static func decode(_ bytes: UnsafeRawBufferPointer, file: String, fileSize: Int) throws -> BinHeader {
        var r = HeaderReader(bytes: bytes, file: file)
        let tensorCount = try r.u32("tensor count")
        let metadataCount = try r.u32("metadata count")
        let hasConfig = try r.u8("config flag")
        var config: String?
        switch hasConfig {
        case 0: config = nil
        case 1: config = try r.string("config JSON")
        default: throw r.malformed("config flag is \(hasConfig), expected 0 or 1")
        }
        var metadata: [(key: String, value: String)] = []
        var keys = Set<String>()
        for _ in 0..<metadataCount {
            let key = try r.string("metadata key")
            let value = try r.string("metadata value for '\(key)'")
            guard keys.insert(key).inserted else { throw BinError.duplicateMetadataKey(file: file, key: key) }
            metadata.append((key, value))
        }
        var tensors: [BinTensorEntry] = []
        var names = Set<String>()
        for _ in 0..<tensorCount {
            let nameOffset = r.position
            let name = try r.string("tensor name")
            guard !name.isEmpty else {
                throw BinError.malformedHeader(file: file, offset: nameOffset, detail: "empty tensor name")
            }
            guard names.insert(name).inserted else { throw BinError.duplicateTensorName(file: file, name: name) }
            let dtypeString = try r.string("dtype of '\(name)'")
            guard let dtype = DType(rawValue: dtypeString) else {
                throw BinError.unknownDType(file: file, tensor: name, found: dtypeString)
            }
            let rank = try r.u32("rank of '\(name)'")
            guard rank <= BinFormat.maxRank else {
                throw BinError.rankTooLarge(file: file, tensor: name, rank: rank, limit: BinFormat.maxRank)
            }
            var rawShape: [UInt64] = []
            for _ in 0..<rank { rawShape.append(try r.u64("shape of '\(name)'")) }
            let offset = try r.u64("data offset of '\(name)'")
            let length = try r.u64("byte length of '\(name)'")
            guard rawShape.allSatisfy({ $0 <= UInt64(Int.max) }),
                  let byteCount = Shape.byteCount(rawShape.map { Int($0) }, dtype: dtype) else {
                throw BinError.shapeOverflow(file: file, tensor: name, shape: rawShape)
            }
            guard UInt64(byteCount) == length else {
                throw BinError.byteLengthMismatch(file: file, tensor: name, expected: byteCount, found: length)
            }
            guard offset <= UInt64(Int.max) else {
                throw BinError.tensorOutOfBounds(file: file, tensor: name, offset: offset, byteLength: length, fileSize: fileSize)
            }
            tensors.append(BinTensorEntry(info: TensorInfo(name: name, dtype: dtype, shape: rawShape.map { Int($0) }),
                                          offset: Int(offset), byteLength: byteCount))
        }
        guard r.position == bytes.count else {
            throw r.malformed("\(bytes.count - r.position) bytes left after the tensor table")
        }
        return BinHeader(configJSON: config, metadata: metadata, tensors: tensors)
    }
}

/// Little-endian, bounds-checked reading of header fields.
struct HeaderReader {
    let bytes: UnsafeRawBufferPointer
    let file: String
    private(set) var position = 0

    init(bytes: UnsafeRawBufferPointer, file: String) {
        self.bytes = bytes
        self.file = file
    }

    func malformed(_ detail: String) -> BinError {
        BinError.malformedHeader(file: file, offset: position, detail: detail)
    }

    private mutating func take(_ n: Int, _ what: String) throws -> UnsafeRawBufferPointer {
        guard n <= bytes.count - position else {
            throw malformed("\(what) needs \(n) bytes, only \(bytes.count - position) left")
        }
        defer { position += n }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + n)])
    }

    mutating func u8(_ what: String) throws -> UInt8 { try take(1, what)[0] }

    mutating func u32(_ what: String) throws -> UInt32 {
        UInt32(littleEndian: try take(4, what).loadUnaligned(as: UInt32.self))
    }

    mutating func u64(_ what: String) throws -> UInt64 {
        UInt64(littleEndian: try take(8, what).loadUnaligned(as: UInt64.self))
    }

    /// A u32 length, then that many bytes of valid UTF-8.
    mutating func string(_ what: String) throws -> String {
        let start = position
        let n = Int(try u32(what))
        let raw = try take(n, what)
        guard let s = String(validating: raw, as: UTF8.self) else {
            throw BinError.malformedHeader(file: file, offset: start, detail: "\(what) is not valid UTF-8")
        }
        return s
    }
}
