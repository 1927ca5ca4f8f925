#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An owned, immutable region of bytes: heap memory or a read-only memory-mapped file.
///
/// Tensors are views into a storage; a memory-mapped storage stays mapped while any view lives.
public final class ByteStorage: @unchecked Sendable {
    /// First byte (nil only when `count == 0`).
    public let base: UnsafeRawPointer?
    /// Number of bytes.
    public let count: Int
    /// True when the bytes are a memory-mapped file.
    public let isMapped: Bool
    /// The file a mapping was made from (nil for heap memory and adopted mappings).
    public let filePath: String?
    private let mappedLength: Int
    /// The mapped file's descriptor, kept open so its bytes can also be read with `pread` (`readFile`); -1 otherwise.
    private let descriptor: Int32

    /// Takes a copy of `bytes` on the heap.
    public init(copying bytes: UnsafeRawBufferPointer) {
        count = bytes.count
        isMapped = false
        filePath = nil
        descriptor = -1
        mappedLength = 0
        if bytes.count == 0 {
            base = nil
        } else {
            let p = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 64)
            p.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            base = UnsafeRawPointer(p)
        }
    }

    /// Allocates `count` bytes and lets `fill` write them.
    public init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        self.count = count
        isMapped = false
        filePath = nil
        descriptor = -1
        mappedLength = 0
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        do { try fill(UnsafeMutableRawBufferPointer(start: p, count: count)) } catch {
            p.deallocate(); throw error
        }
        base = UnsafeRawPointer(p)
    }

    /// Memory-maps the whole file at `path` read-only. The file stays open, so `readFile(at:into:)` can also
    /// copy its bytes without touching the mapping.
    /// - Throws: `TensorError.io` when the file cannot be opened, is not a regular file, or cannot be mapped.
    public init(mapping path: String) throws {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused as not a regular file below.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw TensorError.io(path: path, message: "cannot open: \(String(cString: strerror(errno)))") }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let message = "cannot stat: \(String(cString: strerror(errno)))"
            close(fd)
            throw TensorError.io(path: path, message: message)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { close(fd); throw TensorError.io(path: path, message: "not a regular file") }
        let size = Int(st.st_size)
        isMapped = true
        count = size
        mappedLength = size
        filePath = path
        descriptor = fd
        if size == 0 { base = nil; return }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            let message = "cannot mmap: \(String(cString: strerror(errno)))"
            close(fd)
            throw TensorError.io(path: path, message: message)
        }
        base = UnsafeRawPointer(p)
    }

    /// Takes ownership of `count` bytes mapped with `mmap` (unmapped when the storage goes away), e.g. a
    /// sealed shared-memory block another process filled.
    /// - Parameters:
    ///   - base: the mapping's first byte.
    ///   - count: the mapping's length.
    public init(adoptingMapping base: UnsafeRawPointer, count: Int) {
        self.base = base
        self.count = count
        isMapped = true
        filePath = nil
        descriptor = -1
        mappedLength = count
    }

    /// True when the bytes are a mapped file that `readFile(at:into:)` can read.
    public var isFileBacked: Bool { descriptor >= 0 }

    /// Copies bytes `offset ..< offset + destination.count` from the mapped file with `pread`, without touching
    /// the mapping (so no page of it becomes resident in this process).
    /// - Parameters:
    ///   - offset: the first byte, counted from the start of the file.
    ///   - destination: where the bytes go; its size is how many are read.
    /// - Throws: `TensorError.io` when the storage is not a mapped file, the range is outside it, reading fails,
    ///   or the file has shrunk since it was opened.
    public func readFile(at offset: Int, into destination: UnsafeMutableRawBufferPointer) throws {
        let path = filePath ?? "(memory)"
        guard descriptor >= 0 else { throw TensorError.io(path: path, message: "not a mapped file: nothing to read from") }
        let (end, overflow) = offset.addingReportingOverflow(destination.count)
        guard offset >= 0, !overflow, end <= count else {
            throw TensorError.io(path: path, message: "bytes \(offset)..<\(end) are outside the file's \(count) bytes")
        }
        guard let start = destination.baseAddress else { return }
        var done = 0
        while done < destination.count {
            let n = pread(descriptor, start + done, min(destination.count - done, 1 << 30), off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw TensorError.io(path: path, message: "reading failed: \(String(cString: strerror(errno)))") }
            if n == 0 { throw TensorError.io(path: path, message: "the file ended early (it shrank while open)") }
            done += n
        }
    }

    /// The bytes as a buffer.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        guard let base else { return }
        if isMapped { munmap(UnsafeMutableRawPointer(mutating: base), mappedLength) } else { base.deallocate() }
    }
}
