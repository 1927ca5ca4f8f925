import ViTTensor
internal import CZlib

/// Errors of `ZipWriter`.
public enum ZipWriterError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The archive would pass 4 GiB, or hold more than 65,535 members (ZIP64 is not written).
    case tooLarge(path: String, what: String)
    /// A member name longer than 65,535 bytes.
    case nameTooLong(path: String, member: String)

    public var description: String {
        switch self {
        case let .tooLarge(p, w): return "\(p): the archive is too large for a ZIP without ZIP64 (\(w)); store fewer or smaller tensors (e.g. --dtype f16) or write .safetensors"
        case let .nameTooLong(p, m): return "\(p): member name too long: \(m.prefix(80))…"
        }
    }
}

/// Writes a ZIP archive of stored (uncompressed) members whose data starts at a multiple of `alignment` bytes,
/// as PyTorch's `torch.save` writes them (a padding extra field with the id `FB` in each local header), so a
/// reader can map each member in place. The archive goes to an `AtomicFile`: nothing is visible until `finish()`.
public final class ZipWriter {
    public let path: String
    public let alignment: Int
    private let file: AtomicFile
    private var offset = 0
    private var central: [UInt8] = []
    private var count = 0

    /// - Parameters:
    ///   - path: the archive to write.
    ///   - alignment: the data alignment in bytes (PyTorch: 64).
    ///   - overwrite: replace an existing file.
    /// - Throws: `AtomicFileError`.
    public init(path: String, alignment: Int = 64, overwrite: Bool) throws {
        self.path = path
        self.alignment = alignment
        file = try AtomicFile(destination: path, overwrite: overwrite)
    }

    /// Appends one member.
    /// - Throws: `ZipWriterError`, `AtomicFileError`.
    public func add(_ name: String, _ data: UnsafeRawBufferPointer) throws {
        let nameBytes = Array(name.utf8)
        guard nameBytes.count <= 0xFFFF else { throw ZipWriterError.nameTooLong(path: path, member: name) }
        guard count < 0xFFFF else { throw ZipWriterError.tooLarge(path: path, what: "more than 65,535 members") }
        let crc = ZipWriter.crc32(data)
        let headerEnd = offset + 30 + nameBytes.count
        var pad = (alignment - (headerEnd + 4) % alignment) % alignment
        if alignment <= 1 { pad = 0 }
        let extraLength = alignment <= 1 ? 0 : 4 + pad
        guard offset + 30 + nameBytes.count + extraLength + data.count < 0xFFFF_FFFF, data.count < 0xFFFF_FFFF else {
            throw ZipWriterError.tooLarge(path: path, what: "more than 4 GiB")
        }
        var h: [UInt8] = []
        ZipWriter.u32(&h, 0x0403_4b50); ZipWriter.u16(&h, 20); ZipWriter.u16(&h, 0); ZipWriter.u16(&h, 0)
        ZipWriter.u16(&h, 0); ZipWriter.u16(&h, 0x21)  // time 00:00:00, date 1980-01-01
        ZipWriter.u32(&h, crc); ZipWriter.u32(&h, UInt32(data.count)); ZipWriter.u32(&h, UInt32(data.count))
        ZipWriter.u16(&h, UInt16(nameBytes.count)); ZipWriter.u16(&h, UInt16(extraLength))
        h += nameBytes
        if extraLength > 0 {
            h += [0x46, 0x42]  // "FB", as PyTorch's writer
            ZipWriter.u16(&h, UInt16(pad))
            h += [UInt8](repeating: 0x5a, count: pad)
        }
        try file.write(h)
        try file.write(data)
        var c: [UInt8] = []
        ZipWriter.u32(&c, 0x0201_4b50); ZipWriter.u16(&c, 20); ZipWriter.u16(&c, 20); ZipWriter.u16(&c, 0)
        ZipWriter.u16(&c, 0); ZipWriter.u16(&c, 0); ZipWriter.u16(&c, 0x21)
        ZipWriter.u32(&c, crc); ZipWriter.u32(&c, UInt32(data.count)); ZipWriter.u32(&c, UInt32(data.count))
        ZipWriter.u16(&c, UInt16(nameBytes.count)); ZipWriter.u16(&c, 0); ZipWriter.u16(&c, 0)
        ZipWriter.u16(&c, 0); ZipWriter.u16(&c, 0); ZipWriter.u32(&c, 0); ZipWriter.u32(&c, UInt32(offset))
        c += nameBytes
        central += c
        offset += h.count + data.count
        count += 1
    }

    /// Appends one member from bytes.
    public func add(_ name: String, _ data: [UInt8]) throws {
        try data.withUnsafeBytes { try add(name, $0) }
    }

    /// Writes the central directory, syncs the file and renames it into place.
    /// - Throws: `ZipWriterError`, `AtomicFileError`.
    public func finish() throws {
        guard offset + central.count < 0xFFFF_FFFF else { throw ZipWriterError.tooLarge(path: path, what: "more than 4 GiB") }
        var e: [UInt8] = []
        ZipWriter.u32(&e, 0x0605_4b50); ZipWriter.u16(&e, 0); ZipWriter.u16(&e, 0)
        ZipWriter.u16(&e, UInt16(count)); ZipWriter.u16(&e, UInt16(count))
        ZipWriter.u32(&e, UInt32(central.count)); ZipWriter.u32(&e, UInt32(offset)); ZipWriter.u16(&e, 0)
        try file.write(central)
        try file.write(e)
        try file.commit()
    }

    static func u16(_ b: inout [UInt8], _ v: UInt16) { b += [UInt8(v & 0xff), UInt8(v >> 8)] }
    static func u32(_ b: inout [UInt8], _ v: UInt32) { for i in 0..<4 { b.append(UInt8((v >> (8 * UInt32(i))) & 0xff)) } }

    static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: uLong = CZlib.crc32(0, nil, 0)
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: Bytef.self) else { return UInt32(crc) }
        var done = 0
        while done < bytes.count {
            let n = min(bytes.count - done, 1 << 30)
            crc = CZlib.crc32(crc, base + done, uInt(n))
            done += n
        }
        return UInt32(crc)
    }
}
