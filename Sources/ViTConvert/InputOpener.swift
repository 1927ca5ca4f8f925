import ViTBin
import ViTFormats
import ViTTensor

/// Opens a conversion's input so that reading it keeps resident memory near one tensor.
///
/// Every format opens as `CheckpointOpener` opens it, except ViTKit `.bin`, whose reader verifies the
/// whole-file checksum at open by hashing its mapping in one pass, which leaves every page of the file
/// resident (346 MB for ViT-B). Here the checksum is verified the same way (same bytes, same XXH64,
/// same `BinError.checksumMismatch`) in 16 MiB slices whose pages are released after hashing.
enum InputOpener {
    static let slice = 16 << 20

    /// Opens the checkpoint at `path`.
    /// - Throws: `FormatError`, the reader's errors, `BinError.checksumMismatch`.
    static func open(_ path: String) throws -> TensorSource {
        guard try FormatDetection.detect(path: path) == .vitkitBin else { return try CheckpointOpener.open(path) }
        let storage: ByteStorage
        do { storage = try ByteStorage(mapping: path) } catch let TensorError.io(_, message) {
            throw BinError.io(file: path, message: message)
        }
        let bin = try BinFile(storage: storage, path: path, verifyChecksum: false)
        let checksummed = storage.count - BinFormat.trailerSize
        var hasher = XXHash64()
        var start = 0
        while start < checksummed {
            let count = min(slice, checksummed - start)
            MappedPages.populate(storage, offset: start, count: count)
            hasher.update(UnsafeRawBufferPointer(rebasing: storage.bytes[start..<(start + count)]))
            MappedPages.release(storage, offset: start, count: count)
            start += count
        }
        let computed = hasher.finalize()
        guard computed == bin.storedChecksum else {
            throw BinError.checksumMismatch(file: path, stored: bin.storedChecksum, computed: computed)
        }
        return bin
    }
}
