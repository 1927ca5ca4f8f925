import ViTTensor

/// Writes a safetensors file as a stream, one tensor at a time, and atomically.
///
/// The tensor list (names, dtypes, shapes) and the metadata are given up front, so the header is written
/// first; then each tensor's data is passed in the declared order and checked (name, dtype, shape, byte
/// count). Nothing but the tensor being written is held in memory. The bytes go to a temporary file in the
/// destination's folder that `finish()` renames into place; a writer dropped before `finish()` (or after a
/// failed write) removes its temporary file and leaves no output.
///
/// Header: compact JSON like the reference writer's, `__metadata__` first (keys in byte order, omitted when
/// empty), then the tensors in the declared order with contiguous offsets, padded with spaces to a multiple
/// of 8. `alignedOrder(_:)` gives the reference writer's order (dtype size descending, then name), which
/// keeps every tensor naturally aligned; with it, files are byte-identical to `safetensors.torch.save_file`
/// for the same tensors and a single metadata key.
public final class SafetensorsWriter {
    /// The destination path.
    public let path: String
    /// The declared tensors, in file order.
    public let tensorInfos: [TensorInfo]
    /// The metadata written as `__metadata__`.
    public let metadata: [String: String]
    /// `n`: the header length (JSON plus padding).
    public let headerLength: Int
    private var file: AtomicFile?
    private var nextIndex = 0
    private var closed = false

    /// Validates the tensor list, creates the temporary file and writes the header.
    /// - Parameters:
    ///   - path: destination file.
    ///   - tensors: every tensor to be written, in the order they will be given (and stored).
    ///   - metadata: string metadata for `__metadata__`.
    ///   - overwrite: allow replacing an existing file at `path`.
    /// - Throws: `SafetensorsError.duplicateTensor`, `.reservedName`, `.invalidShape`, `.headerTooLarge`;
    ///   `AtomicFileError` when the destination exists (without `overwrite`) or cannot be written.
    public init(path: String, tensors: [TensorInfo], metadata: [String: String] = [:], overwrite: Bool = false) throws {
        let header = try SafetensorsWriter.headerBytes(tensors: tensors, metadata: metadata, path: path)
        self.path = path
        self.tensorInfos = tensors
        self.metadata = metadata
        self.headerLength = header.count - 8
        let file = try AtomicFile(destination: path, overwrite: overwrite)
        try file.write(header)
        self.file = file
    }

    /// The tensor whose data is expected next, or nil when all are written.
    public var nextTensor: TensorInfo? { nextIndex < tensorInfos.count ? tensorInfos[nextIndex] : nil }

    /// Writes the next tensor's data from a tensor (a view or an owned tensor).
    /// - Parameters:
    ///   - name: the tensor's name; must be the next declared one.
    ///   - tensor: data with the declared dtype and shape.
    /// - Throws: `SafetensorsError.unexpectedTensor`, `.tensorInfoMismatch`, `.writerClosed`; `AtomicFileError` on I/O failure.
    public func write(_ name: String, _ tensor: Tensor) throws {
        let info = try expectNext(name)
        guard tensor.dtype == info.dtype, tensor.shape == info.shape else {
            throw SafetensorsError.tensorInfoMismatch(file: path, tensor: name, expected: SafetensorsWriter.describe(info.dtype, info.shape),
                                                      found: SafetensorsWriter.describe(tensor.dtype, tensor.shape))
        }
        try tensor.withUnsafeBytes { try append($0) }
    }

    /// Writes the next tensor's data from raw little-endian, C-order bytes.
    /// - Parameters:
    ///   - name: the tensor's name; must be the next declared one.
    ///   - bytes: exactly the declared shape × dtype size bytes.
    /// - Throws: `SafetensorsError.unexpectedTensor`, `.byteCountMismatch`, `.writerClosed`; `AtomicFileError` on I/O failure.
    public func write(_ name: String, bytes: UnsafeRawBufferPointer) throws {
        let info = try expectNext(name)
        guard bytes.count == info.byteCount else {
            throw SafetensorsError.byteCountMismatch(file: path, tensor: name, expectedBytes: info.byteCount, foundBytes: bytes.count)
        }
        try append(bytes)
    }

    /// Writes the next tensor's data produced by `fill`, which receives a zeroed buffer of exactly the
    /// tensor's byte size (so a converter can write straight into it).
    /// - Parameters:
    ///   - name: the tensor's name; must be the next declared one.
    ///   - fill: writes the little-endian, C-order bytes; an error it throws is rethrown and nothing is written.
    /// - Throws: `SafetensorsError.unexpectedTensor`, `.writerClosed`, whatever `fill` throws; `AtomicFileError` on I/O failure.
    public func write(_ name: String, fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        let info = try expectNext(name)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(info.byteCount, 1), alignment: 64)
        defer { buffer.deallocate() }
        let region = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<info.byteCount])
        region.initializeMemory(as: UInt8.self, repeating: 0)
        try fill(region)
        try append(UnsafeRawBufferPointer(region))
    }

    /// Writes the next tensor's data as `read` produces it, piece by piece, through one small reused buffer:
    /// the tensor is never held in memory whole.
    /// - Parameters:
    ///   - name: the tensor's name; must be the next declared one.
    ///   - byteCount: must be the declared shape × dtype size.
    ///   - read: fills `destination` with bytes `offset ..< offset + destination.count` of the little-endian,
    ///     C-order data.
    /// - Throws: `SafetensorsError.unexpectedTensor`, `.byteCountMismatch`, `.writerClosed`, whatever `read` throws;
    ///   `AtomicFileError` on I/O failure. After any failure the writer is closed and its temporary file removed.
    public func write(_ name: String, byteCount: Int,
                      from read: (_ offset: Int, _ destination: UnsafeMutableRawBufferPointer) throws -> Void) throws {
        let info = try expectNext(name)
        guard byteCount == info.byteCount else {
            throw SafetensorsError.byteCountMismatch(file: path, tensor: name, expectedBytes: info.byteCount, foundBytes: byteCount)
        }
        guard let file else { throw SafetensorsError.writerClosed(file: path) }
        do {
            try file.append(count: byteCount, from: read)
        } catch {
            closed = true
            self.file = nil  // drops the temporary file
            throw error
        }
        nextIndex += 1
    }

    /// Checks that every declared tensor was written, flushes and renames the file into place.
    /// - Throws: `SafetensorsError.missingTensors` (the writer stays open), `.writerClosed`; `AtomicFileError`
    ///   when syncing or renaming fails.
    public func finish() throws {
        guard !closed, let file else { throw SafetensorsError.writerClosed(file: path) }
        guard nextIndex == tensorInfos.count else {
            throw SafetensorsError.missingTensors(file: path, tensors: tensorInfos[nextIndex...].map(\.name))
        }
        closed = true
        self.file = nil
        try file.commit()
    }

    private func expectNext(_ name: String) throws -> TensorInfo {
        guard !closed, file != nil else { throw SafetensorsError.writerClosed(file: path) }
        guard let info = nextTensor, info.name == name else {
            throw SafetensorsError.unexpectedTensor(file: path, expected: nextTensor?.name, found: name)
        }
        return info
    }

    private func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard let file else { throw SafetensorsError.writerClosed(file: path) }
        do {
            try file.write(bytes)
        } catch {
            closed = true
            self.file = nil  // drops the temporary file
            throw error
        }
        nextIndex += 1
    }

    static func describe(_ dtype: DType, _ shape: [Int]) -> String { "\(dtype.rawValue) \(Shape.describe(shape))" }

    // MARK: - header

    /// The first `8 + n` bytes of a file holding `tensors` in the given order: the little-endian length
    /// and the space-padded JSON header.
    /// - Parameters:
    ///   - tensors: names, dtypes and shapes in file order.
    ///   - metadata: `__metadata__` (omitted when empty).
    ///   - path: the file name for error messages.
    /// - Throws: `SafetensorsError.duplicateTensor`, `.reservedName`, `.invalidShape`, `.headerTooLarge`.
    public static func headerBytes(tensors: [TensorInfo], metadata: [String: String], path: String) throws -> [UInt8] {
        var json: [UInt8] = [UInt8(ascii: "{")]
        json.reserveCapacity(64 + 96 * tensors.count)
        var first = true
        if !metadata.isEmpty {
            JSONText.appendString("__metadata__", to: &json)
            json.append(contentsOf: Array(":{".utf8))
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (i, k) in keys.enumerated() {
                if i > 0 { json.append(UInt8(ascii: ",")) }
                JSONText.appendString(k, to: &json)
                json.append(UInt8(ascii: ":"))
                JSONText.appendString(metadata[k] ?? "", to: &json)
            }
            json.append(UInt8(ascii: "}"))
            first = false
        }
        var names = Set<String>()
        var offset = 0
        for t in tensors {
            guard t.name != "__metadata__" else { throw SafetensorsError.reservedName(file: path) }
            guard names.insert(t.name).inserted else { throw SafetensorsError.duplicateTensor(file: path, tensor: t.name) }
            guard let size = Shape.byteCount(t.shape, dtype: t.dtype), case (let end, false) = offset.addingReportingOverflow(size) else {
                throw SafetensorsError.invalidShape(file: path, tensor: t.name, shape: t.shape, dtype: t.dtype.rawValue)
            }
            if !first { json.append(UInt8(ascii: ",")) }
            first = false
            JSONText.appendString(t.name, to: &json)
            json.append(contentsOf: Array(":{\"dtype\":".utf8))
            JSONText.appendString(t.dtype.rawValue, to: &json)
            json.append(contentsOf: Array(",\"shape\":".utf8))
            JSONText.appendIntegers(t.shape, to: &json)
            json.append(contentsOf: Array(",\"data_offsets\":".utf8))
            JSONText.appendIntegers([offset, end], to: &json)
            json.append(UInt8(ascii: "}"))
            offset = end
        }
        json.append(UInt8(ascii: "}"))
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        guard json.count <= SafetensorsHeader.maxHeaderLength else {
            throw SafetensorsError.headerTooLarge(file: path, headerLength: UInt64(json.count), limit: SafetensorsHeader.maxHeaderLength)
        }
        return withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json
    }

    /// The reference writer's tensor order: dtype descending in the crate's enum order (U64, I64, F64,
    /// F32, …, BOOL), then name in byte order. Every tensor then starts naturally aligned.
    /// - Parameter tensors: tensors in any order.
    /// - Returns: the same tensors, sorted.
    public static func alignedOrder(_ tensors: [TensorInfo]) -> [TensorInfo] {
        tensors.sorted { a, b in
            if a.dtype.safetensorsOrder != b.dtype.safetensorsOrder { return a.dtype.safetensorsOrder > b.dtype.safetensorsOrder }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
    }

    // MARK: - convenience

    /// Writes `tensors` (in the given order) and `metadata` to `path` in one call, atomically.
    /// - Parameters:
    ///   - tensors: names and tensors, in file order.
    ///   - metadata: `__metadata__`.
    ///   - path: destination file.
    ///   - overwrite: allow replacing an existing file.
    /// - Throws: as `init(path:tensors:metadata:overwrite:)` and `write(_:_:)`.
    public static func write(tensors: [(String, Tensor)], metadata: [String: String] = [:], to path: String, overwrite: Bool = false) throws {
        let w = try SafetensorsWriter(path: path, tensors: tensors.map { TensorInfo(name: $0.0, dtype: $0.1.dtype, shape: $0.1.shape) },
                                      metadata: metadata, overwrite: overwrite)
        for (name, t) in tensors { try w.write(name, t) }
        try w.finish()
    }
}
