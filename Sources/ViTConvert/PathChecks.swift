#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ViTTensor

/// The checks a conversion makes on its paths before it reads or writes anything.
public enum PathChecks {
    /// Checks that the input exists and can be read.
    /// - Parameter path: the input file or folder.
    /// - Throws: `ConvertError.inputNotFound`, `.inputUnreadable` (with the OS reason).
    public static func checkInput(_ path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw ConvertError.inputNotFound(path: path) }
            throw ConvertError.inputUnreadable(path: path, message: errnoText())
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            guard let dir = opendir(path) else { throw ConvertError.inputUnreadable(path: path, message: errnoText()) }
            closedir(dir)
            return
        }
        // O_NONBLOCK: a FIFO must not block the check; sockets fail here (ENXIO).
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw ConvertError.inputUnreadable(path: path, message: errnoText()) }
        close(fd)
    }

    /// Checks that the output can be created: its folder exists, and it either does not exist or may be
    /// replaced and is not a folder.
    /// - Parameters:
    ///   - path: the output file.
    ///   - overwrite: whether an existing file may be replaced.
    /// - Throws: `ConvertError.outputFolderMissing`, `.outputIsFolder`, `.outputExists`.
    public static func checkOutput(_ path: String, overwrite: Bool) throws {
        let folder = AtomicFile.folder(of: path)
        var st = stat()
        guard stat(folder, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw ConvertError.outputFolderMissing(path: path, folder: folder)
        }
        var own = stat()
        // lstat: a dangling symlink at the output path is an existing entry too.
        guard lstat(path, &own) == 0 else { return }
        var target = stat()
        if stat(path, &target) == 0, (target.st_mode & S_IFMT) == S_IFDIR { throw ConvertError.outputIsFolder(path: path) }
        if !overwrite { throw ConvertError.outputExists(path: path) }
    }

    /// Checks that the output is none of the files a conversion reads.
    /// - Parameters:
    ///   - output: the output path.
    ///   - inputs: every file (or folder) read, the input path first.
    ///   - input: the input as the user named it (for the message).
    /// - Throws: `ConvertError.outputIsInput` when the output is one of `inputs`: the same resolved path
    ///   (`realpath`, so through symlinks) or the same file (device and inode, so through hard links).
    public static func checkNotInput(_ output: String, inputs: [String], input: String) throws {
        for file in inputs where sameFile(output, file) {
            throw ConvertError.outputIsInput(output: output, input: file == input ? input : file)
        }
    }

    /// Checks that the output's file system has room for `bytes` more bytes (for an unprivileged user),
    /// so a conversion that cannot fit fails before it writes anything.
    /// - Parameters:
    ///   - output: the output path (its folder's file system is checked).
    ///   - bytes: the tensor data to be written (the file is slightly larger: header and padding).
    /// - Throws: `ConvertError.notEnoughSpace` when fewer bytes are available.
    public static func checkSpace(_ output: String, bytes: Int) throws {
        var fs = statvfs()
        guard statvfs(AtomicFile.folder(of: output), &fs) == 0 else { return }
        let (available, overflow) = Int(clamping: fs.f_bavail).multipliedReportingOverflow(by: Int(clamping: fs.f_frsize))
        if !overflow && available < bytes { throw ConvertError.notEnoughSpace(path: output, needed: bytes, available: available) }
    }

    /// True when `a` and `b` name the same existing file: equal `realpath`s, or equal (device, inode).
    /// - Parameters:
    ///   - a: a path.
    ///   - b: another path.
    public static func sameFile(_ a: String, _ b: String) -> Bool {
        if let ra = resolved(a), let rb = resolved(b), ra == rb { return true }
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// Every file a source reads its data and config from (`TensorSource.files`: for a safetensors checkpoint
    /// its shards, its index and the `config.json` beside them; the single file of the other formats).
    /// - Parameter source: an open checkpoint.
    public static func files(of source: TensorSource) -> [String] { source.files }

    static func resolved(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
