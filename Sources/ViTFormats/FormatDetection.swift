#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ViTBin
import ViTHDF5
import ViTNpz
import ViTTorch
import ViTZip
import ViTTensor

/// Detects checkpoint formats from file content.
public enum FormatDetection {
    /// The format of the file or folder at `path`, decided by content.
    /// - Throws: `FormatError` when the path is missing, unreadable or of no known format.
    public static func detect(path: String) throws -> CheckpointFormat {
        var st = stat()
        guard stat(path, &st) == 0 else { throw FormatError.notFound(path: path) }
        if (st.st_mode & S_IFMT) == S_IFDIR { return .folder }
        // A FIFO, socket or device cannot be memory-mapped, and opening a FIFO would wait for a writer.
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw FormatError.unreadable(path: path, message: "not a regular file") }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw FormatError.unreadable(path: path, message: String(cString: strerror(errno))) }
        defer { close(fd) }
        let size = Int(st.st_size)
        let head = readAt(fd, offset: 0, count: min(size, 64))
        if (try? HDF5File.signatureOffset(ofFileAt: path)) != nil { return .hdf5 }
        if looksLikeBin(head) { return .vitkitBin }
        if looksLikeSafetensors(head) { return .safetensors }
        if ZipArchive.hasSignature(head) {
            if TorchCheckpoint.looksLikeTorchZip(path: path) { return .torch }
            if NpzArchive.looksLikeNpz(path: path) { return .npz }
        }
        if TorchCheckpoint.looksLikeLegacyTorch(prefix: head) { return .torch }
        if let first = head.first(where: { !isJSONSpace($0) }), first == UInt8(ascii: "{") {
            if isSafetensorsIndex(path: path, size: size) { return .safetensorsIndex }
            throw FormatError.notAnIndex(path: path)
        }
        throw FormatError.unrecognized(path: path, firstBytes: hex(head.prefix(8)))
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

    static func isSafetensorsIndex(path: String, size: Int) -> Bool {
        guard size <= 100_000_000, let data = FileManager.default.contents(atPath: path),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return obj["weight_map"] is [String: Any]
    }

    static func isJSONSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    static func readAt(_ fd: Int32, offset: Int, count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var buf = [UInt8](repeating: 0, count: count)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
        return n <= 0 ? [] : Array(buf.prefix(n))
    }

    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}
