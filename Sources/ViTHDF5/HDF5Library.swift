internal import CHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one gate to libhdf5: a process-wide lock, one-time set-up, and the check funnel every
/// `herr_t` / `hid_t` result passes through.
///
/// libhdf5 is treated as not thread-safe: every call into it happens inside `HDF5Library.run`, taken at
/// the public API boundary (and in `HDF5ID.deinit`). The mutex is recursive only so that an id released
/// inside a locked region (its `deinit` closes it) cannot deadlock; nothing else nests.
enum HDF5Library {
    nonisolated(unsafe) private static let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        var attr = pthread_mutexattr_t()
        pthread_mutexattr_init(&attr)
        pthread_mutexattr_settype(&attr, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(m, &attr)
        pthread_mutexattr_destroy(&attr)
        return m
    }()

    /// Marks the threads on which automatic error printing is already off.
    private static let quietThreadKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Runs `body` holding the libhdf5 lock, with libhdf5's automatic error printing switched off.
    ///
    /// A thread-safe libhdf5 build (Debian's is one) keeps the error-printing setting per thread, so it is
    /// switched off once per thread, the first time that thread enters.
    static func run<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if pthread_getspecific(quietThreadKey) == nil {
            _ = H5open()
            _ = H5Eset_auto2(vk_H5E_DEFAULT(), nil, nil)
            pthread_setspecific(quietThreadKey, UnsafeRawPointer(bitPattern: 1))
        }
        return try body()
    }

    /// The names of the files libhdf5 still holds open, in any state (for tests: a file whose close
    /// failed stays here, and libhdf5's exit handler crashes on it).
    static func openFileNames() -> [String] {
        run {
            let count = Int(H5Fget_obj_count(vk_H5F_OBJ_ALL_FILES(), vk_H5F_OBJ_FILE()))
            guard count > 0 else { return [] }
            var ids = [hid_t](repeating: 0, count: count)
            let found = Int(H5Fget_obj_ids(vk_H5F_OBJ_ALL_FILES(), vk_H5F_OBJ_FILE(), count, &ids))
            return ids.prefix(max(0, found)).map { id in
                var name = [CChar](repeating: 0, count: 4096)
                return H5Fget_name(id, &name, name.count) > 0 ? string(name) : ""
            }
        }
    }

    /// True when libhdf5 would not print errors raised on the calling thread (for tests).
    static func automaticPrintingIsOffOnThisThread() -> Bool {
        run {
            var function: H5E_auto2_t?
            var data: UnsafeMutableRawPointer?
            return H5Eget_auto2(vk_H5E_DEFAULT(), &function, &data) >= 0 && function == nil
        }
    }

    /// The check funnel for every `herr_t`, `htri_t`, `hid_t` and `ssize_t` result: negative means failure,
    /// which becomes `HDF5Error.library` carrying libhdf5's error stack.
    /// - Parameters:
    ///   - result: the value libhdf5 returned.
    ///   - file: the file the call concerned (for the message).
    ///   - operation: what was being done, e.g. "opening dataset '/a/b'".
    /// - Returns: `result` when it is not negative.
    /// - Throws: `HDF5Error.library`.
    @discardableResult
    static func check<T: SignedInteger>(_ result: T, file: String, _ operation: @autoclosure () -> String) throws(HDF5Error) -> T {
        if result < 0 { throw failure(file: file, operation: operation()) }
        return result
    }

    /// File-access properties for a file only this process uses (the writer's temporary file): no
    /// file lock. libhdf5 flocks every file it opens, and an flock belongs to the open file description,
    /// which a child spawned meanwhile shares; a lock on a private temporary file protects nothing.
    static func privateFileAccess(file: String) throws(HDF5Error) -> HDF5ID {
        let fapl = try HDF5ID(H5Pcreate(vk_H5P_FILE_ACCESS()), .propertyList, file: file, "making file-access properties")
        try check(H5Pset_file_locking(fapl.id, false, true), file: file, "turning off file locking")
        return fapl
    }

    /// Marks libhdf5's descriptor of an open file close-on-exec (libhdf5 opens files without
    /// `O_CLOEXEC`), so programs spawned while it is open neither inherit it nor keep its lock: with the
    /// descriptor inherited, reading a just-written file back failed with "unable to lock the file".
    /// - Returns: the descriptor (the default sec2 driver's), or nil when the driver has none.
    @discardableResult
    static func setCloseOnExec(_ fileID: hid_t, file: String) throws(HDF5Error) -> Int32? {
        var handle: UnsafeMutableRawPointer?
        try check(H5Fget_vfd_handle(fileID, vk_H5P_DEFAULT(), &handle), file: file, "getting the file descriptor")
        // The default (sec2) driver's handle is a pointer to its int descriptor.
        guard let handle else { return nil }
        let fd = handle.load(as: Int32.self)
        let flags = fcntl(fd, F_GETFD)
        if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        return fd
    }

    /// A NUL-terminated C string held in an array, decoded as UTF-8.
    static func string(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The error for a failed call: walks libhdf5's error stack of this thread (outermost call first),
    /// then clears it.
    static func failure(file: String, operation: String) -> HDF5Error {
        var lines: [String] = []
        withUnsafeMutablePointer(to: &lines) { ptr in
            _ = H5Ewalk2(vk_H5E_DEFAULT(), H5E_WALK_DOWNWARD, { _, entry, context in
                guard let entry, let context else { return 0 }
                let out = context.assumingMemoryBound(to: [String].self)
                let e = entry.pointee
                let function = e.func_name.map { String(cString: $0) } ?? "?"
                let desc = e.desc.map { String(cString: $0) } ?? ""
                var minor = [CChar](repeating: 0, count: 256)
                let n = H5Eget_msg(e.min_num, nil, &minor, 256)
                let minorText = n > 0 ? HDF5Library.string(minor) : ""
                out.pointee.append(minorText.isEmpty ? "\(function)(): \(desc)" : "\(function)(): \(desc) (\(minorText))")
                return 0
            }, UnsafeMutableRawPointer(ptr))
        }
        _ = H5Eclear2(vk_H5E_DEFAULT())
        return .library(file: file, operation: operation, stack: lines)
    }
}

/// One open libhdf5 identifier (file, group, dataset, dataspace, datatype, attribute, property list);
/// `deinit` closes it.
final class HDF5ID {
    enum Kind { case file, group, dataset, dataspace, datatype, attribute, propertyList, object }

    let id: hid_t
    let kind: Kind

    /// Takes ownership of `id` after checking it.
    /// - Throws: `HDF5Error.library` when `id` is negative (the call that made it failed).
    init(_ id: hid_t, _ kind: Kind, file: String, _ operation: @autoclosure () -> String) throws(HDF5Error) {
        self.id = try HDF5Library.check(id, file: file, operation())
        self.kind = kind
    }

    /// Closes the id now and reports a failure (used where a close failure matters, e.g. a file being written).
    func close(file: String) throws(HDF5Error) {
        try HDF5Library.run { () throws(HDF5Error) in
            guard !closed else { return }
            closed = true
            try HDF5Library.check(HDF5ID.close(id, kind), file: file, "closing the file")
        }
    }

    private var closed = false

    private static func close(_ id: hid_t, _ kind: Kind) -> herr_t {
        switch kind {
        case .file: return H5Fclose(id)
        case .group: return H5Gclose(id)
        case .dataset: return H5Dclose(id)
        case .dataspace: return H5Sclose(id)
        case .datatype: return H5Tclose(id)
        case .attribute: return H5Aclose(id)
        case .propertyList: return H5Pclose(id)
        case .object: return H5Oclose(id)
        }
    }

    deinit {
        HDF5Library.run {
            guard !closed else { return }
            if HDF5ID.close(id, kind) < 0 { _ = H5Eclear2(vk_H5E_DEFAULT()) }
        }
    }
}
