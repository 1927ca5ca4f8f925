#if canImport(Glibc)
import Glibc
#endif
import ViTBin
#if HDF5
import ViTHDF5
#endif
import ViTTorch
import ViTZip
import ViTTensor

/// Detects checkpoint formats from file content.
public enum FormatDetection {
    /// What a path's first bytes say it is: the reader to open it with (nothing parsed yet).
    public enum Kind: Sendable, Equatable {
        /// A folder (a safetensors checkpoint folder).
        case folder
        /// HDF5 signature at 0 or after a user block.
        case hdf5
        /// ViTKit `.bin` magic.
        case vitkitBin
        /// A plausible safetensors header length followed by `{`.
        case safetensors
        /// A ZIP local header (`torch.save` or `.npz`, told apart from the directory).
        case zip
        /// A pre-1.6 `torch.save` pickle.
        case legacyTorch
        /// JSON text (a sharded index, whatever its name).
        case json
    }

    /// The reader for the file or folder at `path`, from its first bytes only.
    /// - Throws: `FormatError` when the path is missing, unreadable, not a regular file or of no known format.
    public static func sniff(path: String) throws -> Kind {
        var st = stat()
        guard stat(path, &st) == 0 else { throw FormatError.notFound(path: path) }
        if (st.st_mode & S_IFMT) == S_IFDIR { return .folder }
        // A FIFO, socket or device cannot be memory-mapped, and opening a FIFO would wait for a writer.
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw FormatError.unreadable(path: path, message: "not a regular file") }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw FormatError.unreadable(path: path, message: String(cString: strerror(errno))) }
        defer { close(fd) }
        let head = readAt(fd, offset: 0, count: min(Int(st.st_size), 64))
        #if HDF5
        if (try? HDF5File.signatureOffset(ofFileAt: path)) != nil { return .hdf5 }
        #else
        if head.starts(with: [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) { return .hdf5 }  // to say what is missing
        #endif
        if looksLikeBin(head) { return .vitkitBin }
        if looksLikeSafetensors(head) { return .safetensors }
        if ZipArchive.hasSignature(head) { return .zip }
        if TorchCheckpoint.looksLikeLegacyTorch(prefix: head) { return .legacyTorch }
        if let first = head.first(where: { !isJSONSpace($0) }), first == UInt8(ascii: "{") { return .json }
        throw FormatError.unrecognized(path: path, firstBytes: hex(head.prefix(8)))
    }

    /// The format of the file or folder at `path`, decided by content: the format `CheckpointOpener` opens
    /// it as (it is opened to tell, so a damaged file reports its reader's error).
    /// - Throws: as `CheckpointOpener.open(_:)`.
    public static func detect(path: String) throws -> CheckpointFormat {
        if try sniff(path: path) == .legacyTorch { return .torch }
        return try CheckpointOpener.openDetected(path).format
    }

    /// True when `prefix` starts with the native `.bin` magic.
    public static func looksLikeBin(_ prefix: [UInt8]) -> Bool {
        prefix.withUnsafeBytes { BinFile.looksLikeBin(prefix: $0) }
    }

    /// True when bytes 8… begin (after JSON whitespace) with `{` and the length field is plausible.
    public static func looksLikeSafetensors(_ prefix: [UInt8]) -> Bool {
        guard prefix.count >= 9 else { return false }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(prefix[i]) << (8 * UInt64(i)) }
        guard n >= 2 else { return false }
        guard let first = prefix[8...].first(where: { !isJSONSpace($0) }) else { return false }
        return first == UInt8(ascii: "{")
    }

    static func isJSONSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    static func readAt(_ fd: Int32, offset: Int, count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var buf = [UInt8](repeating: 0, count: count)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
        return n <= 0 ? [] : Array(buf.prefix(n))
    }

    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef")
        return bytes.map { String([digits[Int($0 >> 4)], digits[Int($0 & 15)]]) }.joined(separator: " ")
    }
}
