#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors of `AtomicFile`.
public enum AtomicFileError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The destination exists and replacing it was not allowed.
    case outputExists(path: String)
    /// The destination's folder does not exist.
    case missingFolder(path: String)
    /// A system call failed; `message` is the OS error text (e.g. "No space left on device").
    case io(path: String, operation: String, message: String)

    public var description: String {
        switch self {
        case let .outputExists(p): return "\(p): already exists (use --force to replace it)"
        case let .missingFolder(p): return "\(p): the folder to write into does not exist"
        case let .io(p, op, m): return "\(p): \(op) failed: \(m)"
        }
    }
}

/// Writes a file atomically: bytes go to a temporary file in the destination's folder, which is
/// renamed over the destination only by `commit()`. Dropping an uncommitted `AtomicFile` removes
/// the temporary file, so a failure never leaves a partial output.
public final class AtomicFile {
    /// The final path.
    public let destination: String
    /// The temporary file being written.
    public let temporaryPath: String
    private var fd: Int32
    private var committed = false
    /// Bytes written so far.
    public private(set) var bytesWritten: Int = 0
    /// Bytes already handed to the kernel's writeback (see `startWriteback`).
    private var writebackStarted: Int = 0
    /// Start writing back every this many bytes, so the final `fsync` has little left to do.
    static let writebackInterval = 16 << 20
    /// The size of each of the two buffers `append(count:from:observing:)` copies through: small enough to
    /// stay in a core's cache between being filled, observed and written.
    public static let copyBufferSize = 1 << 20
    private var copyBuffers: UnsafeMutableRawBufferPointer?
    /// The helper thread that reads ahead during `append(count:from:observing:)`, started on first use.
    private var readAhead: ReadAhead?

    /// Creates the temporary file next to `destination`.
    /// - Parameters:
    ///   - destination: the path the file will have after `commit()`.
    ///   - overwrite: allow replacing an existing destination.
    /// - Throws: `AtomicFileError`.
    public init(destination: String, overwrite: Bool) throws {
        self.destination = destination
        if !overwrite && access(destination, F_OK) == 0 { throw AtomicFileError.outputExists(path: destination) }
        let folder = AtomicFile.folder(of: destination)
        var st = stat()
        guard stat(folder, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { throw AtomicFileError.missingFolder(path: destination) }
        let base = destination.split(separator: "/").last.map(String.init) ?? "out"
        var template = Array("\(folder)/.\(base).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw AtomicFileError.io(path: destination, operation: "creating a temporary file", message: AtomicFile.errnoText()) }
        fchmod(fd, 0o644)
        self.fd = fd
        self.temporaryPath = String(cString: template)
    }

    /// The folder part of `path` (`.` when there is none).
    public static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let f = String(path[..<slash])
        return f.isEmpty ? "/" : f
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// Appends `bytes`.
    /// - Throws: `AtomicFileError.io` (e.g. a full disk); the temporary file is removed on deinit.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Glibc.write(fd, p, min(left, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw AtomicFileError.io(path: destination, operation: "writing", message: AtomicFile.errnoText())
            }
            p += n
            left -= n
            bytesWritten += n
        }
        if bytesWritten - writebackStarted >= AtomicFile.writebackInterval { startWriteback() }
    }

    /// Asks the kernel to start writing the bytes written since the last call to disk, without
    /// waiting (Linux `sync_file_range(SYNC_FILE_RANGE_WRITE)`). Disk writes then overlap with the
    /// rest of the output instead of all waiting for `commit()`'s `fsync`, which stays the durability
    /// guarantee: on the ViT-B benchmark (346 MB) the final sync drops from ~0.1 s to ~0.01 s.
    private func startWriteback() {
        #if os(Linux)
        if let syncFileRange = AtomicFile.syncFileRange {
            _ = syncFileRange(fd, Int64(writebackStarted), Int64(bytesWritten - writebackStarted), 2 /* SYNC_FILE_RANGE_WRITE */)
        }
        #endif
        writebackStarted = bytesWritten
    }

    #if os(Linux)
    /// glibc's `sync_file_range` (the Glibc module does not import it: it needs `_GNU_SOURCE`).
    private static let syncFileRange: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self)
    }()
    #endif

    /// Reserves disk blocks for the first `bytes` bytes of the open file `descriptor` without changing
    /// its size (Linux `fallocate(FALLOC_FL_KEEP_SIZE)`), so later writes inside that range cannot meet a
    /// full disk. For writers that cannot recover from a failed write (libhdf5).
    /// - Returns: 0 when reserved, or when the file system (or platform) cannot reserve, which callers
    ///   treat as nothing promised; otherwise the `errno` (`ENOSPC` on a full disk, `EFBIG`, …).
    public static func reserveBlocks(descriptor: Int32, bytes: Int64) -> Int32 {
        #if os(Linux)
        guard let fallocate = AtomicFile.fallocate else { return 0 }
        if fallocate(descriptor, 1 /* FALLOC_FL_KEEP_SIZE */, 0, bytes) == 0 { return 0 }
        let e = errno
        return e == EOPNOTSUPP || e == ENOSYS || e == EINVAL ? 0 : e
        #else
        return 0
        #endif
    }

    #if os(Linux)
    /// glibc's `fallocate` (not imported by the Glibc module either).
    private static let fallocate: (@convention(c) (Int32, Int32, Int64, Int64) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "fallocate") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32, Int64, Int64) -> Int32).self)
    }()
    #endif

    /// Appends `count` bytes that `read` produces piece by piece into two reused buffers of
    /// `copyBufferSize` bytes; each piece is handed to `observe` (e.g. a checksum) before it is written.
    /// Memory stays at those buffers however many bytes pass through.
    ///
    /// Reading overlaps writing: while one piece is written, a helper thread (`ReadAhead`) reads and
    /// observes the next, or, when the helper has not been scheduled by then, this thread does. `read` and
    /// `observe` are called one piece at a time, in order, never concurrently with each other.
    /// - Parameters:
    ///   - count: the number of bytes to append.
    ///   - read: fills `destination` with bytes `offset ..< offset + destination.count` of the data.
    ///   - observe: sees each piece, in order, before it is written.
    /// - Throws: whatever `read` throws (unchanged); `AtomicFileError.io` when writing fails. After a failure
    ///   the file holds part of the data: the caller must give it up (the temporary file is removed on deinit).
    public func append(count: Int, from read: (_ offset: Int, _ destination: UnsafeMutableRawBufferPointer) throws -> Void,
                       observing observe: (UnsafeRawBufferPointer) -> Void = { _ in }) throws {
        guard count > 0 else { return }
        let size = AtomicFile.copyBufferSize
        let buffers = copyBuffers ?? UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * size, alignment: 4096)
        copyBuffers = buffers
        let pieces = (count + size - 1) / size
        func piece(_ k: Int) -> UnsafeMutableRawBufferPointer {
            let start = (k % 2) * size
            return UnsafeMutableRawBufferPointer(rebasing: buffers[start..<(start + min(size, count - k * size))])
        }
        if pieces == 1 {
            let p = piece(0)
            try read(0, p)
            observe(UnsafeRawBufferPointer(p))
            try write(UnsafeRawBufferPointer(p))
            return
        }
        if readAhead == nil { readAhead = ReadAhead() }
        try withoutActuallyEscaping(read) { read in
            try withoutActuallyEscaping(observe) { observe in
                var failure: Error?
                func fill(_ k: Int) -> () -> Void {
                    {
                        do {
                            try read(k * size, piece(k))
                            observe(UnsafeRawBufferPointer(piece(k)))
                        } catch { failure = error }
                    }
                }
                guard let ahead = readAhead else {
                    for k in 0..<pieces {
                        fill(k)()
                        if let failure { throw failure }
                        try write(UnsafeRawBufferPointer(piece(k)))
                    }
                    return
                }
                // Every posted job is finished before this returns, so `read` and `observe` do not escape.
                ahead.post(fill(0))
                for k in 0..<pieces {
                    ahead.finish()
                    if let failure { throw failure }
                    if k + 1 < pieces { ahead.post(fill(k + 1)) }
                    do { try write(UnsafeRawBufferPointer(piece(k))) } catch {
                        ahead.finish()
                        throw error
                    }
                }
            }
        }
    }

    /// Appends `bytes`.
    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    /// Appends `count` zero bytes.
    public func writeZeros(_ count: Int) throws {
        guard count > 0 else { return }
        try write([UInt8](repeating: 0, count: count))
    }

    /// Flushes to disk and renames the temporary file onto the destination.
    /// - Throws: `AtomicFileError.io` when syncing or renaming fails.
    public func commit() throws {
        guard !committed else { return }
        if fsync(fd) != 0 { throw AtomicFileError.io(path: destination, operation: "syncing", message: AtomicFile.errnoText()) }
        if close(fd) != 0 { fd = -1; throw AtomicFileError.io(path: destination, operation: "closing", message: AtomicFile.errnoText()) }
        fd = -1
        if rename(temporaryPath, destination) != 0 {
            throw AtomicFileError.io(path: destination, operation: "renaming into place", message: AtomicFile.errnoText())
        }
        committed = true
    }

    /// Closes the file descriptor without committing, so a library (e.g. libhdf5) can write the
    /// temporary path itself; `commitWithoutWriting()` then renames it.
    public func releaseDescriptor() {
        if fd >= 0 { close(fd); fd = -1 }
    }

    /// Renames the temporary file into place after an external writer filled it (see `releaseDescriptor`).
    public func commitExternallyWritten() throws {
        releaseDescriptor()
        if rename(temporaryPath, destination) != 0 {
            throw AtomicFileError.io(path: destination, operation: "renaming into place", message: AtomicFile.errnoText())
        }
        committed = true
    }

    deinit {
        readAhead = nil  // joins the helper thread
        copyBuffers?.deallocate()
        if fd >= 0 { close(fd) }
        if !committed { unlink(temporaryPath) }
    }
}
