import ViTBin
import ViTTensor

extension CheckpointOpener {
    /// Slice size for a `.sliced` checksum.
    static let checksumSlice = 16 << 20

    /// Opens a ViTKit `.bin`, verifying its whole-file checksum as `checksum` says.
    ///
    /// `.whole` is the reader's own check (hashing the mapping in one pass, which leaves every page resident:
    /// 346 MB for ViT-B). `.sliced` verifies the same bytes with the same XXH64 and the same
    /// `BinError.checksumMismatch`, in 16 MiB slices whose pages are released after hashing.
    /// - Throws: `BinError`.
    static func openBin(_ path: String, checksum: OpenOptions.BinChecksum) throws -> BinFile {
        guard checksum == .sliced else { return try BinFile(path: path) }
        let storage: ByteStorage
        do { storage = try ByteStorage(mapping: path) } catch let TensorError.io(_, message) {
            throw BinError.io(file: path, message: message)
        }
        let bin = try BinFile(storage: storage, path: path, verifyChecksum: false)
        let checksummed = storage.count - BinFormat.trailerSize
        var hasher = XXHash64()
        var start = 0
        while start < checksummed {
            let count = min(checksumSlice, checksummed - start)
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
