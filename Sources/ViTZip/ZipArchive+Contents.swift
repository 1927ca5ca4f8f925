import ViTTensor

/// A member's content: `count` bytes at `offset` in `storage` (the archive's map for a stored member,
/// a heap buffer for an inflated one).
public struct ZipMemberBytes: @unchecked Sendable {
    /// The storage holding the bytes.
    public let storage: ByteStorage
    /// Offset of the first byte inside `storage`.
    public let offset: Int
    /// Number of bytes (the member's uncompressed size).
    public let count: Int

    /// Calls `body` with the bytes (no copy); the storage is kept alive for the call.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) {
            try body(UnsafeRawBufferPointer(rebasing: storage.bytes[offset..<(offset + count)]))
        }
    }

    /// The bytes as an array (a copy).
    public var array: [UInt8] { withUnsafeBytes { Array($0) } }
}

extension ZipArchive {
    /// Offset of the member's first data byte, after reading and checking its local header.
    /// - Parameter entry: a member of this archive.
    /// - Throws: `ZipError.badLocalHeader` or `.memberOutOfBounds`.
    public func dataOffset(of entry: ZipEntry) throws -> Int {
        let b = storage.bytes
        let h = entry.localHeaderOffset
        guard h + 30 <= entry.regionEnd, b.le32(h) == ZipArchive.localHeaderSignature else {
            throw ZipError.badLocalHeader(file: path, member: entry.name, detail: "no local header signature at offset \(h)")
        }
        let flags = b.le16(h + 6), method = b.le16(h + 8)
        let nameLength = b.le16(h + 26), extraLength = b.le16(h + 28)
        guard flags & 1 == 0 else { throw ZipError.encrypted(file: path, member: entry.name) }
        guard method == entry.method.rawValue else {
            throw ZipError.badLocalHeader(file: path, member: entry.name,
                                          detail: "method \(method), the directory says \(entry.method.rawValue)")
        }
        let start = h + 30 + nameLength + extraLength
        let end = start + entry.compressedSize
        guard start <= entry.regionEnd, end <= entry.regionEnd else {
            throw ZipError.memberOutOfBounds(file: path, member: entry.name, end: end, limit: entry.regionEnd)
        }
        let name = UnsafeRawBufferPointer(rebasing: b[(h + 30)..<(h + 30 + nameLength)])
        guard name.elementsEqual(entry.name.utf8) else {
            throw ZipError.badLocalHeader(file: path, member: entry.name, detail: "the local name differs")
        }
        return start
    }

    /// The member's whole content: a view into the map for a stored member; inflated into a new
    /// buffer (size and CRC-32 checked) for a deflated one.
    /// - Parameter entry: a member of this archive.
    /// - Throws: `ZipError` naming the member.
    public func contents(of entry: ZipEntry) throws -> ZipMemberBytes {
        let start = try dataOffset(of: entry)
        switch entry.method {
        case .stored:
            return ZipMemberBytes(storage: storage, offset: start, count: entry.uncompressedSize)
        case .deflated:
            let input = UnsafeRawBufferPointer(rebasing: storage.bytes[start..<(start + entry.compressedSize)])
            let out = try ByteStorage(count: entry.uncompressedSize) { dst in
                let crc = try Inflater.inflateAll(input, into: dst, file: path, member: entry.name)
                guard crc == entry.crc32 else {
                    throw ZipError.checksumMismatch(file: path, member: entry.name, expected: entry.crc32, found: crc)
                }
            }
            return ZipMemberBytes(storage: out, offset: 0, count: entry.uncompressedSize)
        }
    }

    /// The first `min(count, uncompressedSize)` bytes of the member's content; for a deflated
    /// member only that much is inflated.
    /// - Parameters:
    ///   - entry: a member of this archive.
    ///   - count: how many bytes are wanted.
    /// - Throws: `ZipError` naming the member.
    public func prefix(of entry: ZipEntry, count: Int) throws -> [UInt8] {
        let start = try dataOffset(of: entry)
        let n = min(max(count, 0), entry.uncompressedSize)
        switch entry.method {
        case .stored:
            return Array(storage.bytes[start..<(start + n)])
        case .deflated:
            let input = UnsafeRawBufferPointer(rebasing: storage.bytes[start..<(start + entry.compressedSize)])
            var out = [UInt8](repeating: 0, count: n)
            let got = try out.withUnsafeMutableBytes { try Inflater.inflatePrefix(input, into: $0, file: path, member: entry.name) }
            guard got == n else {
                throw ZipError.corruptData(file: path, member: entry.name,
                                           detail: "the stream ends after \(got) bytes, \(entry.uncompressedSize) declared")
            }
            return out
        }
    }
}
