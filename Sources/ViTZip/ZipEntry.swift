/// One member of a ZIP archive, as its central directory describes it.
public struct ZipEntry: Sendable, Equatable, Hashable {
    /// How the member's bytes are stored.
    public enum Method: Int, Sendable {
        /// Stored uncompressed (method 0): the bytes can be viewed in place.
        case stored = 0
        /// Raw deflate (method 8).
        case deflated = 8
    }

    /// The member's name (a `/`-separated path).
    public let name: String
    /// Position in the central directory.
    public let index: Int
    /// Compression method.
    public let method: Method
    /// Bytes occupied in the file.
    public let compressedSize: Int
    /// Bytes of content.
    public let uncompressedSize: Int
    /// CRC-32 of the content, as declared.
    public let crc32: UInt32
    /// Offset of the member's local header.
    public let localHeaderOffset: Int
    /// First offset past the member's region: the next member's local header or the central directory.
    public let regionEnd: Int

    /// True for a folder entry (name ending in `/`, no content).
    public var isDirectory: Bool { name.hasSuffix("/") }
}

/// Little-endian reads from raw bytes (bounds are the caller's job).
extension UnsafeRawBufferPointer {
    @inline(__always) func le16(_ o: Int) -> Int { Int(UInt16(littleEndian: loadUnaligned(fromByteOffset: o, as: UInt16.self))) }
    @inline(__always) func le32(_ o: Int) -> Int { Int(UInt32(littleEndian: loadUnaligned(fromByteOffset: o, as: UInt32.self))) }
    @inline(__always) func le32u(_ o: Int) -> UInt32 { UInt32(littleEndian: loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
    @inline(__always) func le64(_ o: Int) -> UInt64 { UInt64(littleEndian: loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
}
