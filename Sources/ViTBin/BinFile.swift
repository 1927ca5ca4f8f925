import ViTTensor

/// A ViTKit `.bin` file opened for reading: memory-mapped, fully validated at open, tensors returned
/// as zero-copy views into the mapping.
///
/// Validation at open: magic, version, flags, header length, header checksum, header structure,
/// every tensor's dtype, shape, byte length, alignment, order, overlap and bounds (overflow-checked),
/// the exact file size, zero padding, the end magic, and (unless skipped) the checksum of the whole
/// file.
public final class BinFile: TensorSource {
    /// The path the file was opened from.
    public let path: String
    /// The format version stored in the file.
    public let formatVersion: UInt32
    /// Every tensor in file order.
    public let tensorInfos: [TensorInfo]
    /// The string metadata.
    public let metadata: [String: String]
    /// The model config JSON embedded by the writer, if any (opaque to this module).
    public let configJSON: String?
    /// The checksum stored in the trailer (XXH64 of everything before it).
    public let storedChecksum: UInt64
    private let storage: ByteStorage
    private let entries: [String: BinTensorEntry]
    private let checksummedLength: Int

    /// `vitkit-bin`.
    public var formatName: String { BinFormat.formatName }

    /// Opens and validates the file at `path`.
    /// - Parameters:
    ///   - path: the file.
    ///   - verifyChecksum: also hash all tensor data and compare with the trailer (default). The
    ///     header checksum and the file's structure are always checked.
    /// - Throws: `BinError` naming the rule that failed.
    public convenience init(path: String, verifyChecksum: Bool = true) throws {
        let storage: ByteStorage
        do { storage = try ByteStorage(mapping: path) } catch let TensorError.io(_, message) {
            throw BinError.io(file: path, message: message)
        }
        try self.init(storage: storage, path: path, verifyChecksum: verifyChecksum)
    }

    /// Validates `.bin` bytes already in memory (a mapping or a heap buffer).
    /// - Parameters:
    ///   - storage: the whole file.
    ///   - path: the name used in errors and `path`.
    ///   - verifyChecksum: also hash all tensor data and compare with the trailer.
    /// - Throws: `BinError` naming the rule that failed.
    public init(storage: ByteStorage, path: String, verifyChecksum: Bool = true) throws {
        let bytes = storage.bytes
        let size = bytes.count
        let file = path

        // Preamble
        guard size >= BinFormat.magic.count else {
            if bytes.elementsEqual(BinFormat.magic.prefix(size)) {
                throw BinError.truncated(file: file, expectedBytes: BinFormat.preambleSize, foundBytes: size)
            }
            throw BinError.badMagic(file: file)
        }
        guard bytes.prefix(8).elementsEqual(BinFormat.magic) else { throw BinError.badMagic(file: file) }
        guard size >= BinFormat.preambleSize else {
            throw BinError.truncated(file: file, expectedBytes: BinFormat.preambleSize, foundBytes: size)
        }
        let version = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard version != 0 else { throw BinError.invalidVersion(file: file, found: version) }
        guard version <= BinFormat.version else {
            throw BinError.newerVersion(file: file, found: version, supported: BinFormat.version)
        }
        let flags = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        guard flags == 0 else { throw BinError.unknownFlags(file: file, flags: flags) }
        let rawHeaderLength = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        guard rawHeaderLength <= UInt64(BinFormat.maxHeaderLength) else {
            throw BinError.headerTooLarge(file: file, length: rawHeaderLength, limit: BinFormat.maxHeaderLength)
        }
        let headerLength = Int(rawHeaderLength)
        let headerEnd = BinFormat.preambleSize + headerLength
        guard size >= headerEnd + 8 else { throw BinError.truncated(file: file, expectedBytes: headerEnd + 8, foundBytes: size) }

        // Header checksum, before anything in the header is trusted.
        let storedHeaderChecksum = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: headerEnd, as: UInt64.self))
        let headerChecksum = XXHash64.hash(UnsafeRawBufferPointer(rebasing: bytes[0..<headerEnd]))
        guard storedHeaderChecksum == headerChecksum else {
            throw BinError.headerChecksumMismatch(file: file, stored: storedHeaderChecksum, computed: headerChecksum)
        }
        let header = try BinHeader.decode(UnsafeRawBufferPointer(rebasing: bytes[BinFormat.preambleSize..<headerEnd]), file: file, fileSize: size)

        // Layout: each tensor at the first aligned offset after the previous one.
        guard let dataStart = BinFormat.aligned(headerEnd + 8) else {  // cannot overflow: headerEnd ≤ 100 MiB + 24
            throw BinError.headerTooLarge(file: file, length: rawHeaderLength, limit: BinFormat.maxHeaderLength)
        }
        var expectedOffset = dataStart
        var previous: BinTensorEntry?
        var paddingRanges: [Range<Int>] = [(headerEnd + 8)..<dataStart]
        for t in header.tensors {
            let name = t.info.name
            guard t.offset % BinFormat.alignment == 0 else {
                throw BinError.misalignedOffset(file: file, tensor: name, offset: UInt64(t.offset), alignment: BinFormat.alignment)
            }
            if let p = previous {
                let previousEnd = p.offset + p.byteLength
                guard t.offset >= previousEnd else {
                    throw BinError.overlappingTensors(file: file, tensor: name, offset: UInt64(t.offset),
                                                      previous: p.info.name, previousEnd: previousEnd)
                }
            } else {
                guard t.offset >= dataStart else {
                    throw BinError.tensorOverlapsHeader(file: file, tensor: name, offset: UInt64(t.offset), dataStart: dataStart)
                }
            }
            guard t.offset == expectedOffset else {
                throw BinError.unexpectedGap(file: file, tensor: name, expectedOffset: expectedOffset, found: UInt64(t.offset))
            }
            let (end, o1) = t.offset.addingReportingOverflow(t.byteLength)
            guard !o1, end <= size - BinFormat.trailerSize, let next = BinFormat.aligned(end) else {
                throw BinError.tensorOutOfBounds(file: file, tensor: name, offset: UInt64(t.offset),
                                                 byteLength: UInt64(t.byteLength), fileSize: size)
            }
            paddingRanges.append(end..<next)
            expectedOffset = next
            previous = t
        }
        let trailerStart = expectedOffset
        let (expectedSize, o2) = trailerStart.addingReportingOverflow(BinFormat.trailerSize)
        guard !o2, expectedSize <= size else {
            throw BinError.truncated(file: file, expectedBytes: o2 ? Int.max : expectedSize, foundBytes: size)
        }
        guard expectedSize == size else { throw BinError.trailingBytes(file: file, expectedBytes: expectedSize, foundBytes: size) }
        for range in paddingRanges {
            if let bad = range.first(where: { bytes[$0] != 0 }) { throw BinError.nonZeroPadding(file: file, offset: bad) }
        }
        guard bytes[(size - 8)...].elementsEqual(BinFormat.endMagic) else { throw BinError.badEndMagic(file: file) }
        let stored = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: trailerStart, as: UInt64.self))

        self.path = path
        self.formatVersion = version
        self.storage = storage
        self.tensorInfos = header.tensors.map(\.info)
        self.entries = Dictionary(uniqueKeysWithValues: header.tensors.map { ($0.info.name, $0) })
        self.metadata = Dictionary(uniqueKeysWithValues: header.metadata.map { ($0.key, $0.value) })
        self.configJSON = header.configJSON
        self.storedChecksum = stored
        self.checksummedLength = trailerStart
        if verifyChecksum { try self.verifyChecksum() }
    }

    /// Hashes everything before the trailer and compares it with the stored checksum.
    /// - Throws: `BinError.checksumMismatch` when any byte differs from what the writer wrote.
    public func verifyChecksum() throws {
        let computed = XXHash64.hash(UnsafeRawBufferPointer(rebasing: storage.bytes[0..<checksummedLength]))
        guard computed == storedChecksum else {
            throw BinError.checksumMismatch(file: path, stored: storedChecksum, computed: computed)
        }
    }

    /// The tensor called `name`: a view into the mapped file (no copy; its data is 64-byte aligned).
    /// - Throws: `BinError.tensorNotFound`.
    public func tensor(named name: String) throws -> Tensor {
        guard let e = entries[name] else { throw BinError.tensorNotFound(file: path, name: name) }
        return try Tensor(dtype: e.info.dtype, shape: e.info.shape, storage: storage, offset: e.offset)
    }

    /// The tensor's bytes, read from the file with `pread` rather than through the mapping (see `StoredBytes`);
    /// nil for a `.bin` validated from memory.
    /// - Throws: `BinError.tensorNotFound`.
    public func storedBytes(named name: String) throws -> StoredBytes? {
        StoredBytes(fileBacked: try tensor(named: name), name: name)
    }

    /// True when `prefix` (the first bytes of a file, any length) starts with the `.bin` magic.
    public static func looksLikeBin(prefix: UnsafeRawBufferPointer) -> Bool {
        prefix.count >= BinFormat.magic.count && prefix.prefix(BinFormat.magic.count).elementsEqual(BinFormat.magic)
    }
}
