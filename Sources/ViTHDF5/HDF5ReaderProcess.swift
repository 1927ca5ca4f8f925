#if canImport(Glibc)
import Glibc
#endif
import ViTTensor

@_silgen_name("memfd_create")
private func makeMemfd(_ name: UnsafePointer<CChar>, _ flags: UInt32) -> Int32

/// fcntl file seals (linux/fcntl.h).
private enum Seal {
    static let add: Int32 = 1033
    static let shrink: Int32 = 2, grow: Int32 = 4, write: Int32 = 8
}

@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func spawnCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32

/// One running `vit-hdf5-reader` for one file: started by `start`, stopped and reaped by `deinit`.
///
/// Requests take turns under the reader's own lock. Every wait for the reader is guarded by a watchdog
/// on progress: bytes arriving on the socket, or tensor bytes landing in the shared memory being
/// filled. After `HDF5Isolation.watchdogSeconds` without either, the reader is killed. When the reader
/// dies, the signal becomes `HDF5Error.readerCrashed`; the reader is always reaped.
final class HDF5ReaderProcess: @unchecked Sendable {
    let file: String
    private var pid: pid_t
    private let socket: Int32
    private var buffer: [UInt8] = []
    private var failure: HDF5Error?
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    private let watchdogSeconds: Int

    /// The reader's pid, nil once reaped.
    var processID: pid_t? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return pid > 0 ? pid : nil
    }

    private init(file: String, pid: pid_t, socket: Int32, watchdogSeconds: Int) {
        self.watchdogSeconds = watchdogSeconds
        self.file = file
        self.pid = pid
        self.socket = socket
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        close(socket)
        stop()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Starts the reader on `file` and reads its catalogue.
    static func start(file: String, options: ReaderOptions) throws(HDF5Error) -> (HDF5ReaderProcess, CatalogueBuilder) {
        let located = options.executable.map { (path: Optional($0), problem: "") } ?? HDF5Isolation.helperPath()
        guard let helper = located.path else { throw .readerUnavailable(file: file, detail: located.problem) }
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw .readerUnavailable(file: file, detail: "socketpair failed: \(String(cString: strerror(errno)))")
        }
        let pid: pid_t
        do throws(HDF5Error) {
            pid = try spawn(helper, file: file, socket: pair[1])
        } catch {
            close(pair[0]); close(pair[1])
            throw error
        }
        close(pair[1])
        let process = HDF5ReaderProcess(file: file, pid: pid, socket: pair[0], watchdogSeconds: options.watchdogSeconds)
        var builder = CatalogueBuilder(file: file)
        while !builder.finished {
            _ = try builder.take(try process.receive(operation: "opening the file", filling: nil))
        }
        return (process, builder)
    }

    private static func spawn(_ helper: String, file: String, socket: Int32) throws(HDF5Error) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, socket, 3)  // clears close-on-exec on fd 3 only
        _ = spawnCloseFrom(&actions, 4)  // nothing else crosses, close-on-exec or not
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for s in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // POSIX_SPAWN_SETSID (0x80): no controlling terminal, so /dev/tty cannot be opened.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | 0x80))
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(helper), strdup(file), nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, helper, &actions, &attributes, argv, environ)
        guard rc == 0 else {
            throw .readerUnavailable(file: file, detail: "cannot start '\(helper)': \(String(cString: strerror(rc)))")
        }
        return pid
    }

    /// Runs one request under the lock; a reader that failed before fails every later request the same way.
    func exchange<R>(_ body: () throws(HDF5Error) -> R) throws(HDF5Error) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if let failure { throw failure }
        do {
            return try body()
        } catch {
            if case .readerCrashed = error { failure = error }
            if case .readerStalled = error { failure = error }
            if case .readerFailed = error { failure = error }
            throw error
        }
    }

    /// The root-relative attributes of `objectPath` (the caller holds the lock through `exchange`).
    func attributes(of objectPath: String) throws(HDF5Error) -> [String: HDF5Attribute] {
        var payload = Array(objectPath.utf8)
        try send(HDF5Wire.requestAttributes, payload: &payload, passing: nil, operation: "reading the attributes of '\(objectPath)'")
        switch try receive(operation: "reading the attributes of '\(objectPath)'", filling: nil) {
        case let .attributes(a): return a
        case let .error(e): throw e
        default: throw protocolError("reading the attributes of '\(objectPath)'", "an unexpected reply")
        }
    }

    /// Has the reader fill a new shared-memory block with dataset `index` (`byteCount` bytes, as the
    /// catalogue gave) and returns the block, sealed against any further change, mapped read-only.
    func read(dataset index: Int, path datasetPath: String, byteCount: Int) throws(HDF5Error) -> ByteStorage {
        let operation = "reading dataset '\(datasetPath)'"
        let memfd = makeMemfd("vitkit-hdf5", 3)  // MFD_CLOEXEC | MFD_ALLOW_SEALING
        guard memfd >= 0 else { throw .io(file: file, operation: operation, message: "memfd_create: \(String(cString: strerror(errno)))") }
        defer { close(memfd) }
        guard ftruncate(memfd, off_t(byteCount)) == 0,
              fcntl(memfd, Seal.add, Seal.shrink | Seal.grow) == 0 else {
            throw .io(file: file, operation: operation, message: "shared memory of \(byteCount) bytes: \(String(cString: strerror(errno)))")
        }
        var payload: [UInt8] = []
        for k in 0..<4 { payload.append(UInt8(truncatingIfNeeded: UInt32(index) >> (8 * UInt32(k)))) }
        for k in 0..<8 { payload.append(UInt8(truncatingIfNeeded: UInt64(byteCount) >> (8 * UInt64(k)))) }
        try send(HDF5Wire.requestRead, payload: &payload, passing: memfd, operation: operation)
        switch try receive(operation: operation, filling: memfd) {
        case .readDone: break
        case let .error(e): throw e
        default: throw protocolError(operation, "an unexpected reply")
        }
        // The reader has unmapped it: from now on nobody can write it (fails if the reader kept a mapping).
        guard fcntl(memfd, Seal.add, Seal.write) == 0 else {
            throw protocolError(operation, "the reader kept the shared memory writable")
        }
        guard byteCount > 0 else { return ByteStorage(copying: UnsafeRawBufferPointer(start: nil, count: 0)) }
        let p = mmap(nil, byteCount, PROT_READ, MAP_SHARED, memfd, 0)
        guard let p, p != MAP_FAILED else {
            throw .io(file: file, operation: operation, message: "mmap: \(String(cString: strerror(errno)))")
        }
        return ByteStorage(adoptingMapping: UnsafeRawPointer(p), count: byteCount)
    }

    private func protocolError(_ operation: String, _ detail: String) -> HDF5Error {
        .readerFailed(file: file, operation: operation, detail: "the reader broke the protocol: \(detail)")
    }

    private func send(_ tag: UInt32, payload: inout [UInt8], passing fd: Int32?, operation: String) throws(HDF5Error) {
        var message: [UInt8] = []
        for v in [tag, UInt32(payload.count)] { for k in 0..<4 { message.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(k)))) } }
        message += payload
        var sent = 0
        while sent < message.count {
            let n: Int = message.withUnsafeMutableBytes { raw in
                var iov = iovec(iov_base: raw.baseAddress! + sent, iov_len: raw.count - sent)
                var control = [UInt8](repeating: 0, count: 24)  // CMSG_SPACE(sizeof(int)) on LP64
                return withUnsafeMutablePointer(to: &iov) { iovPointer in
                    control.withUnsafeMutableBytes { c in
                        var header = msghdr()
                        header.msg_iov = iovPointer
                        header.msg_iovlen = 1
                        if let fd, sent == 0 {
                            c.storeBytes(of: 20, toByteOffset: 0, as: Int.self)  // cmsg_len = CMSG_LEN(sizeof(int))
                            c.storeBytes(of: SOL_SOCKET, toByteOffset: 8, as: Int32.self)
                            c.storeBytes(of: Int32(SCM_RIGHTS), toByteOffset: 12, as: Int32.self)
                            c.storeBytes(of: fd, toByteOffset: 16, as: Int32.self)
                            header.msg_control = c.baseAddress
                            header.msg_controllen = 24
                        }
                        return sendmsg(socket, &header, Int32(MSG_NOSIGNAL))
                    }
                }
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ended(operation) }
            sent += n
        }
    }

    /// The next message, waiting with the progress watchdog.
    func receive(operation: String, filling memfd: Int32?) throws(HDF5Error) -> WireMessage {
        let limit = watchdogSeconds
        var lastProgress = monotonicSeconds()
        var lastBlocks = memfd.map(blocks) ?? 0
        while true {
            if buffer.count >= 8 {
                let tag = UInt32(buffer[0]) | UInt32(buffer[1]) << 8 | UInt32(buffer[2]) << 16 | UInt32(buffer[3]) << 24
                let length = Int(UInt32(buffer[4]) | UInt32(buffer[5]) << 8 | UInt32(buffer[6]) << 16 | UInt32(buffer[7]) << 24)
                guard length <= HDF5Wire.maxPayload else { throw stopping(protocolError(operation, "a message of \(length) bytes")) }
                if buffer.count >= 8 + length {
                    let payload = Array(buffer[8..<(8 + length)])
                    buffer.removeFirst(8 + length)
                    do { return try WireMessage.decode(tag: tag, payload: payload, file: file) } catch {
                        throw stopping(protocolError(operation, error.detail))
                    }
                }
            }
            var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 100)
            if ready < 0 && errno != EINTR { throw stopping(ended(operation)) }
            if ready > 0 {
                var chunk = [UInt8](repeating: 0, count: 1 << 16)
                let n = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
                if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                guard n > 0 else { throw ended(operation) }
                buffer.append(contentsOf: chunk[0..<n])
                lastProgress = monotonicSeconds()
                continue
            }
            if let memfd, case let b = blocks(memfd), b != lastBlocks {
                lastBlocks = b
                lastProgress = monotonicSeconds()
            }
            if monotonicSeconds() - lastProgress >= Double(limit) {
                _ = stopping(.readerStalled(file: file, operation: operation, seconds: limit))
                throw .readerStalled(file: file, operation: operation, seconds: limit)
            }
        }
    }

    /// The error for a reader that stopped talking: reaps it and names its signal or exit status.
    private func ended(_ operation: String) -> HDF5Error {
        let status = reap(waitUpTo: 2)
        if let status, status & 0x7F != 0 {
            return .readerCrashed(file: file, operation: operation, signal: status & 0x7F)
        }
        let code = status.map { ($0 >> 8) & 0xFF }
        let detail: String
        switch code {
        case 3: detail = "it ran out of memory (the file declares absurd sizes)"
        case nil: detail = "it closed its end of the connection"
        default: detail = "it exited with status \(code!) before answering"
        }
        return .readerFailed(file: file, operation: operation, detail: detail)
    }

    /// Stops the reader and returns `error`.
    private func stopping(_ error: HDF5Error) -> HDF5Error {
        stop()
        return error
    }

    /// SIGKILL and reap (nothing when already reaped).
    private func stop() {
        guard pid > 0 else { return }
        Glibc.kill(pid, SIGKILL)
        _ = reap(waitUpTo: nil)
    }

    /// Waits for the reader to end (at most `seconds`, then kills it) and returns its wait status.
    private func reap(waitUpTo seconds: Double?) -> Int32? {
        guard pid > 0 else { return nil }
        var status: Int32 = 0
        let deadline = seconds.map { monotonicSeconds() + $0 }
        while true {
            let r = waitpid(pid, &status, deadline == nil ? 0 : WNOHANG)
            if r == pid { pid = 0; return status }
            if r < 0 && errno != EINTR { pid = 0; return nil }
            if let deadline, r == 0 {
                if monotonicSeconds() > deadline { Glibc.kill(pid, SIGKILL); return reap(waitUpTo: nil) }
                usleep(1000)
            }
        }
    }

    private func blocks(_ fd: Int32) -> Int {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int(st.st_blocks) : 0
    }
}

func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
