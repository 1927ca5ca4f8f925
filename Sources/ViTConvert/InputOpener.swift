import ViTFormats
import ViTTensor

/// Opens a conversion's input so that reading it keeps resident memory near one tensor: every format as
/// `CheckpointOpener` opens it, a ViTKit `.bin`'s checksum verified in slices whose pages are released.
enum InputOpener {
    /// Opens the checkpoint at `path`.
    /// - Throws: `FormatError`, the reader's errors, `BinError.checksumMismatch`.
    static func open(_ path: String) throws -> TensorSource {
        try CheckpointOpener.openDetected(path, options: OpenOptions(binChecksum: .sliced)).source
    }
}
