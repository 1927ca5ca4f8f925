#if canImport(Glibc)
import Glibc
#endif

/// Reads, in this process, the datasets whose bytes in the file are exactly the tensor's bytes
/// (contiguous, allocated, not external, no conversion): the isolated reader reports their offsets, and
/// this process copies them with `pread` from its own descriptor of the file. No libhdf5 code runs here;
/// an offset is used only when the whole range lies inside the file, otherwise the reader decodes the
/// dataset (and libhdf5 reports what is wrong with it).
final class DirectReader: @unchecked Sendable {
    /// A checked byte range of the file.
    struct Region {
        let offset: Int
        let count: Int
    }

    private let fd: Int32
    private let size: Int
    /// By readable-dataset index: the raw data's offset, or nil.
    private let offsets: [UInt64?]

    /// Opens `path` for the direct reads.
    /// - Throws: `HDF5Error.io` when the file cannot be opened or is not a regular file.
    init(path: String, offsets: [UInt64?]) throws(HDF5Error) {
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .io(file: path, operation: "opening", message: String(cString: strerror(errno))) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw .io(file: path, operation: "opening", message: "not a regular file")
        }
        size = Int(st.st_size)
        self.offsets = offsets
    }

    deinit { close(fd) }

    /// The range of readable dataset `index` when it can be read directly and lies inside the file.
    func region(_ index: Int, byteCount: Int) -> Region? {
        guard index < offsets.count, let raw = offsets[index], let offset = Int(exactly: raw), byteCount >= 0 else { return nil }
        let (end, overflow) = offset.addingReportingOverflow(byteCount)
        guard !overflow, end <= size else { return nil }
        return Region(offset: offset, count: byteCount)
    }

    /// Copies `region` into `destination`.
    /// - Throws: `HDF5Error.io` when reading fails or the file has shrunk.
    func read(_ region: Region, into destination: UnsafeMutableRawPointer?, file: String, dataset: String) throws(HDF5Error) {
        guard region.count > 0, let destination else { return }
        var done = 0
        while done < region.count {
            let n = pread(fd, destination + done, min(region.count - done, 1 << 30), off_t(region.offset + done))
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw .io(file: file, operation: "reading dataset '\(dataset)'", message: String(cString: strerror(errno))) }
            if n == 0 { throw .io(file: file, operation: "reading dataset '\(dataset)'", message: "the file ended early (it shrank while open)") }
            done += n
        }
    }
}
