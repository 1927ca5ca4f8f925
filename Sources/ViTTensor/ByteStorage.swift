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
    private let mappedLength: Int

    /// Takes a copy of `bytes` on the heap.
    public init(copying bytes: UnsafeRawBufferPointer) {
        count = bytes.count
        isMapped = false
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
        mappedLength = 0
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        do { try fill(UnsafeMutableRawBufferPointer(start: p, count: count)) } catch {
            p.deallocate(); throw error
        }
        base = UnsafeRawPointer(p)
    }

    /// Memory-maps the whole file at `path` read-only.
    /// - Throws: `TensorError.io` when the file cannot be opened, is not a regular file, or cannot be mapped.
    public init(mapping path: String) throws {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused as not a regular file below.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw TensorError.io(path: path, message: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw TensorError.io(path: path, message: "cannot stat: \(String(cString: strerror(errno)))") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw TensorError.io(path: path, message: "not a regular file") }
        let size = Int(st.st_size)
        isMapped = true
        count = size
        mappedLength = size
        if size == 0 { base = nil; return }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw TensorError.io(path: path, message: "cannot mmap: \(String(cString: strerror(errno)))") }
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
        mappedLength = count
    }

    /// The bytes as a buffer.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    deinit {
        guard let base else { return }
        if isMapped { munmap(UnsafeMutableRawPointer(mutating: base), mappedLength) } else { base.deallocate() }
    }
}
