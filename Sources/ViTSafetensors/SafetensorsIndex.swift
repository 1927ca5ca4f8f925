import ViTTensor

/// A sharded checkpoint's `*.safetensors.index.json`, as transformers' `save_pretrained` writes it:
/// `{"metadata": {"total_size": …}, "weight_map": {tensor name: shard file name}}`.
public struct SafetensorsIndex: Sendable, Equatable {
    /// The index file's path.
    public let path: String
    /// The `metadata` object; string values as they are, other values as their JSON text (`"total_size": 30656`
    /// gives `"30656"`).
    public let metadata: [String: String]
    /// Tensor name → shard file name (relative to the index's folder).
    public let weightMap: [String: String]
    /// The distinct shard file names, sorted.
    public let shardFiles: [String]

    /// Reads and parses the index file at `path`.
    /// - Parameter path: an `*.safetensors.index.json` file.
    /// - Throws: `SafetensorsError.io`, `.invalidUTF8`, `.invalidJSON`, `.jsonTooDeep`, `.invalidIndex`.
    public init(path: String) throws {
        let storage = try FileSystem.map(path)
        self = try SafetensorsIndex.parse(bytes: storage.bytes, path: path)
    }

    init(path: String, metadata: [String: String], weightMap: [String: String]) {
        self.path = path
        self.metadata = metadata
        self.weightMap = weightMap
        self.shardFiles = Set(weightMap.values).sorted()
    }

    /// Parses index JSON. Strict: repeated keys, non-string shard names and shard names that are not plain
    /// file names (a `/`, `..`) are errors; unknown top-level keys are ignored.
    /// - Parameters:
    ///   - bytes: the file's bytes.
    ///   - path: the file's path, for error messages.
    /// - Throws: `SafetensorsError.invalidUTF8`, `.invalidJSON`, `.jsonTooDeep`, `.invalidIndex`.
    public static func parse(bytes: UnsafeRawBufferPointer, path: String) throws -> SafetensorsIndex {
        var metadata: [String: String] = [:]
        var weightMap: [String: String]?
        var sawMetadata = false
        func invalid(_ expected: String, _ found: String) -> SafetensorsError { .invalidIndex(file: path, expected: expected, found: found) }
        do {
            var r = try JSONReader(bytes: bytes)
            switch r.peekKind() {
            case .object: break
            case .end, .invalid: throw r.syntaxError("a JSON object", at: r.position)
            default: throw invalid("a JSON object {\"metadata\": …, \"weight_map\": …}", try r.describeValue())
            }
            try r.readObject(depth: 1) { r, key, _ in
                switch key {
                case "weight_map":
                    guard weightMap == nil else { throw invalid("one `weight_map`", "more than one") }
                    guard r.peekKind() == .object else { throw invalid("`weight_map` to be an object {tensor: shard file}", try r.describeValue()) }
                    var map: [String: String] = [:]
                    try r.readObject(depth: 2) { r, tensor, _ in
                        guard r.peekKind() == .string else {
                            throw invalid("a shard file name for each tensor in `weight_map`", "`\(tensor)` mapped to \(try r.describeValue())")
                        }
                        let shard = try r.readString()
                        guard isPlainFileName(shard) else {
                            throw invalid("a file name in the index's folder for each shard", "`\(tensor)` mapped to \"\(shard)\"")
                        }
                        guard map.updateValue(shard, forKey: tensor) == nil else {
                            throw invalid("each tensor once in `weight_map`", "`\(tensor)` more than once")
                        }
                    }
                    weightMap = map
                case "metadata":
                    guard !sawMetadata else { throw invalid("one `metadata`", "more than one") }
                    sawMetadata = true
                    if r.peekKind() == .literal {
                        let save = r
                        if try r.readLiteral() == "null" { return }
                        r = save
                    }
                    guard r.peekKind() == .object else { throw invalid("`metadata` to be an object", try r.describeValue()) }
                    try r.readObject(depth: 2) { r, k, _ in
                        let value: String
                        if r.peekKind() == .string {
                            value = try r.readString()
                        } else {
                            r.skipWhitespace()
                            let start = r.position
                            try r.skipValue(depth: 3)
                            value = String(decoding: UnsafeRawBufferPointer(rebasing: r.bytes[start..<r.position]), as: UTF8.self)
                        }
                        guard metadata.updateValue(value, forKey: k) == nil else {
                            throw invalid("each key once in `metadata`", "`\(k)` more than once")
                        }
                    }
                default:
                    try r.skipValue(depth: 2)
                }
            }
            try r.expectEnd()
        } catch let f as JSONReader.Failure {
            switch f.kind {
            case .invalidUTF8: throw SafetensorsError.invalidUTF8(file: path, offset: f.offset)
            case let .tooDeep(limit): throw SafetensorsError.jsonTooDeep(file: path, offset: f.offset, limit: limit)
            case let .syntax(e, found): throw SafetensorsError.invalidJSON(file: path, offset: f.offset, expected: e, found: found)
            }
        }
        guard let weightMap else { throw invalid("a `weight_map` object", "none") }
        return SafetensorsIndex(path: path, metadata: metadata, weightMap: weightMap)
    }

    /// A name that stays inside the index's folder: not empty, no `/` or NUL, not `.` or `..`.
    static func isPlainFileName(_ s: String) -> Bool {
        !s.isEmpty && s != "." && s != ".." && !s.utf8.contains(UInt8(ascii: "/")) && !s.utf8.contains(0)
    }
}
