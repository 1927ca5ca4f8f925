#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension HDF5File {
    /// The 8-byte HDF5 format signature, `\x89HDF\r\n\x1a\n`.
    public static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Where the HDF5 signature sits in a file prefix: at offset 0, or after a user block at 512, 1024,
    /// 2048, … (powers of two ≥ 512), as libhdf5 searches. Pure Swift; no libhdf5 call.
    /// - Parameter bytes: the first bytes of a file (as many as are at hand).
    /// - Returns: the offset of the signature, or nil when none of the candidate offsets inside `bytes` holds it.
    public static func signatureOffset(in bytes: UnsafeRawBufferPointer) -> Int? {
        var offset = 0
        while offset <= bytes.count - signature.count {
            if (0..<signature.count).allSatisfy({ bytes[offset + $0] == signature[$0] }) { return offset }
            let (next, overflow) = (offset == 0 ? 256 : offset).multipliedReportingOverflow(by: 2)
            if overflow { return nil }
            offset = next
        }
        return nil
    }

    /// The signature's offset in the file at `path`, reading only the 8 bytes at each candidate offset.
    /// - Throws: `HDF5Error.fileNotFound`, `.io`.
    public static func signatureOffset(ofFileAt path: String) throws(HDF5Error) -> Int? {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused as not a regular file below.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            if errno == ENOENT { throw .fileNotFound(file: path) }
            throw .io(file: path, operation: "opening", message: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .io(file: path, operation: "reading the size", message: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .io(file: path, operation: "opening", message: "not a regular file") }
        let size = Int(st.st_size)
        var buffer = [UInt8](repeating: 0, count: signature.count)
        var offset = 0
        while offset <= size - signature.count {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, signature.count, off_t(offset)) }
            if n < 0 { throw .io(file: path, operation: "reading", message: String(cString: strerror(errno))) }
            if n == signature.count && buffer == signature { return offset }
            let (next, overflow) = (offset == 0 ? 256 : offset).multipliedReportingOverflow(by: 2)
            if overflow { return nil }
            offset = next
        }
        return nil
    }
}
