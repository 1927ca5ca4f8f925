import ViTTensor

/// Writes a ViTKit `.bin` file as a stream: the tensor list, config and metadata are given up
/// front (so the header, with every offset, is written first), then each tensor's data in list
/// order, then `finish()` writes the checksum trailer and renames the file into place.
///
/// Nothing but the current tensor is held in memory. The output appears atomically: until
/// `finish()` succeeds the bytes go to a temporary file in the same folder, which is removed if the
/// writer is dropped unfinished. The same inputs always give the same bytes.
public final class BinWriter {
    /// The destination path.
    public let path: String
    private let file: AtomicFile
    private let entries: [BinTensorEntry]
    private var next = 0
    private var hasher = XXHash64()
    private var finished = false

    /// Creates the temporary output and writes the preamble, header and header checksum.
    /// - Parameters:
    ///   - path: the destination.
    ///   - tensors: every tensor that will be written, in file order.
    ///   - configJSON: a model config to embed (opaque here), or nil.
    ///   - metadata: string metadata (stored sorted by key).
    ///   - overwrite: allow replacing an existing destination.
    /// - Throws: `BinError` for an invalid list (duplicate or empty names, bad shapes, strings too
    ///   long) and `BinError.write` when the output cannot be created or written.
    public init(path: String, tensors: [TensorInfo], configJSON: String?, metadata: [String: String],
                overwrite: Bool = false) throws {
        self.path = path
        var names = Set<String>()
        let u32Limit = Int(UInt32.max)
        for t in tensors {
            guard !t.name.isEmpty else { throw BinError.emptyTensorName(file: path) }
            guard names.insert(t.name).inserted else { throw BinError.duplicateTensorName(file: path, name: t.name) }
            guard t.name.utf8.count <= u32Limit else {
                throw BinError.stringTooLong(file: path, what: "tensor name", length: t.name.utf8.count, limit: u32Limit)
            }
            guard t.shape.count <= BinFormat.maxRank, Shape.byteCount(t.shape, dtype: t.dtype) != nil else {
                throw BinError.invalidShape(file: path, tensor: t.name, shape: t.shape)
            }
        }
        if let configJSON, configJSON.utf8.count > u32Limit {
            throw BinError.stringTooLong(file: path, what: "config JSON", length: configJSON.utf8.count, limit: u32Limit)
        }
        for (k, v) in metadata where k.utf8.count > u32Limit || v.utf8.count > u32Limit {
            throw BinError.stringTooLong(file: path, what: "metadata entry '\(k.prefix(40))'",
                                         length: max(k.utf8.count, v.utf8.count), limit: u32Limit)
        }
        let headerLength = BinHeader.encodedLength(tensors: tensors, configJSON: configJSON, metadata: metadata)
        guard headerLength <= BinFormat.maxHeaderLength else {
            throw BinError.stringTooLong(file: path, what: "header", length: headerLength, limit: BinFormat.maxHeaderLength)
        }
        // Offsets: the first aligned position after the header checksum, then after each tensor.
        guard var offset = BinFormat.aligned(BinFormat.preambleSize + headerLength + 8) else {
            throw BinError.stringTooLong(file: path, what: "header", length: headerLength, limit: BinFormat.maxHeaderLength)
        }
        var entries: [BinTensorEntry] = []
        for t in tensors {
            let n = Shape.byteCount(t.shape, dtype: t.dtype) ?? 0
            entries.append(BinTensorEntry(info: t, offset: offset, byteLength: n))
            let (end, o) = offset.addingReportingOverflow(n)
            guard !o, let next = BinFormat.aligned(end) else {
                throw BinError.invalidShape(file: path, tensor: t.name, shape: t.shape)
            }
            offset = next
        }
        self.entries = entries

        do { file = try AtomicFile(destination: path, overwrite: overwrite) } catch let e as AtomicFileError {
            throw BinError.write(e)
        }
        var preamble = BinFormat.magic
        withUnsafeBytes(of: BinFormat.version.littleEndian) { preamble += $0 }
        withUnsafeBytes(of: UInt32(0).littleEndian) { preamble += $0 }
        withUnsafeBytes(of: UInt64(headerLength).littleEndian) { preamble += $0 }
        let header = BinHeader.encode(tensors: entries, configJSON: configJSON, metadata: metadata)
        var start = preamble + header
        let headerChecksum = XXHash64.hash(start)
        withUnsafeBytes(of: headerChecksum.littleEndian) { start += $0 }
        try emit(start)
        try emitZeros(padding(after: file.bytesWritten))
    }

    /// Writes the data of the next listed tensor (a memory-mapped tensor is streamed from the mapping).
    /// - Parameters:
    ///   - tensor: the data; its dtype and shape must equal the listed ones.
    ///   - name: the tensor's name; must be the next one in the list.
    /// - Throws: `BinError.unexpectedTensor`, `.dtypeMismatch`, `.shapeMismatch`, `.write`.
    public func write(_ tensor: Tensor, named name: String) throws {
        try tensor.withUnsafeBytes { try write(name: name, dtype: tensor.dtype, shape: tensor.shape, bytes: $0) }
    }

    /// Writes the data of the next listed tensor from raw little-endian bytes.
    /// - Parameters:
    ///   - name: the tensor's name; must be the next one in the list.
    ///   - dtype: must equal the listed dtype.
    ///   - shape: must equal the listed shape.
    ///   - bytes: exactly shape × dtype size bytes, C order, little-endian.
    /// - Throws: `BinError.unexpectedTensor`, `.dtypeMismatch`, `.shapeMismatch`, `.dataSizeMismatch`, `.write`.
    public func write(name: String, dtype: DType, shape: [Int], bytes: UnsafeRawBufferPointer) throws {
        try expectNext(name: name, dtype: dtype, shape: shape, byteCount: bytes.count)
        // Hash and write in slices, so a large mapped tensor is read once while it is in cache.
        let slice = 8 << 20
        var start = 0
        while start < bytes.count {
            let part = UnsafeRawBufferPointer(rebasing: bytes[start..<min(start + slice, bytes.count)])
            try emit(part)
            start += part.count
        }
        try emitZeros(padding(after: file.bytesWritten))
        next += 1
    }

    /// Writes the data of the next listed tensor as `read` produces it, piece by piece, through one small
    /// reused buffer (hashed on the way): the tensor is never held in memory whole.
    /// - Parameters:
    ///   - name: the tensor's name; must be the next one in the list.
    ///   - dtype: must equal the listed dtype.
    ///   - shape: must equal the listed shape.
    ///   - byteCount: must be shape × dtype size.
    ///   - read: fills `destination` with bytes `offset ..< offset + destination.count` of the data
    ///     (little-endian, C order).
    /// - Throws: as `write(name:dtype:shape:bytes:)`, and whatever `read` throws; after a failure of `read` or of
    ///   writing, the writer is finished (`.writerFinished`) and its temporary file goes when it is dropped.
    public func write(name: String, dtype: DType, shape: [Int], byteCount: Int,
                      from read: (_ offset: Int, _ destination: UnsafeMutableRawBufferPointer) throws -> Void) throws {
        try expectNext(name: name, dtype: dtype, shape: shape, byteCount: byteCount)
        do {
            try file.append(count: byteCount, from: read) { hasher.update($0) }
        } catch let e as AtomicFileError {
            finished = true
            throw BinError.write(e)
        } catch {
            finished = true
            throw error
        }
        try emitZeros(padding(after: file.bytesWritten))
        next += 1
    }

    private func expectNext(name: String, dtype: DType, shape: [Int], byteCount: Int) throws {
        guard !finished else { throw BinError.writerFinished(file: path) }
        guard next < entries.count else { throw BinError.unexpectedTensor(file: path, expected: nil, found: name) }
        let e = entries[next]
        guard e.info.name == name else { throw BinError.unexpectedTensor(file: path, expected: e.info.name, found: name) }
        guard e.info.dtype == dtype else { throw BinError.dtypeMismatch(file: path, tensor: name, expected: e.info.dtype, found: dtype) }
        guard e.info.shape == shape else { throw BinError.shapeMismatch(file: path, tensor: name, expected: e.info.shape, found: shape) }
        guard byteCount == e.byteLength else {
            throw BinError.dataSizeMismatch(file: path, tensor: name, expected: e.byteLength, found: byteCount)
        }
    }

    /// Writes the trailer (checksum and end magic), syncs and renames the file into place.
    /// - Throws: `BinError.missingTensors` when listed tensors were not written; `BinError.write`.
    public func finish() throws {
        guard !finished else { throw BinError.writerFinished(file: path) }
        guard next == entries.count else {
            throw BinError.missingTensors(file: path, names: entries[next...].map(\.info.name))
        }
        var trailer: [UInt8] = []
        withUnsafeBytes(of: hasher.finalize().littleEndian) { trailer += $0 }
        trailer += BinFormat.endMagic
        do {
            try file.write(trailer)
            try file.commit()
        } catch let e as AtomicFileError {
            throw BinError.write(e)
        }
        finished = true
    }

    /// Writes one complete file: `tensors` in order, each read from `source` by name.
    /// - Parameters:
    ///   - path: the destination.
    ///   - tensors: the tensors to write, in file order.
    ///   - configJSON: a config to embed, or nil.
    ///   - metadata: string metadata.
    ///   - overwrite: allow replacing an existing destination.
    ///   - source: returns the data of a listed tensor.
    /// - Throws: whatever `source` throws, and `BinError`.
    public static func write(to path: String, tensors: [TensorInfo], configJSON: String?, metadata: [String: String],
                             overwrite: Bool = false, source: (TensorInfo) throws -> Tensor) throws {
        let writer = try BinWriter(path: path, tensors: tensors, configJSON: configJSON, metadata: metadata, overwrite: overwrite)
        for t in tensors { try writer.write(try source(t), named: t.name) }
        try writer.finish()
    }

    private func padding(after n: Int) -> Int { (BinFormat.alignment - n % BinFormat.alignment) % BinFormat.alignment }

    private func emit(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try emit($0) } }

    private func emit(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bytes)
        do { try file.write(bytes) } catch let e as AtomicFileError { throw BinError.write(e) }
    }

    private func emitZeros(_ n: Int) throws {
        guard n > 0 else { return }
        try emit([UInt8](repeating: 0, count: n))
    }
}
