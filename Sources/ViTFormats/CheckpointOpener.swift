import ViTBin
import ViTHDF5
import ViTNpz
import ViTTorch
import ViTSafetensors
import ViTTensor

/// Opens any checkpoint ViTKit reads, choosing the reader by content.
public enum CheckpointOpener {
    /// Opens the file or folder at `path`.
    /// - Returns: the checkpoint as a `TensorSource` (headers read and validated; tensor data not yet read).
    /// - Throws: `FormatError` when the format is unknown, or the chosen reader's error.
    public static func open(_ path: String) throws -> any TensorSource {
        switch try FormatDetection.detect(path: path) {
        case .safetensors, .safetensorsIndex, .folder:
            return try SafetensorsCheckpoint(path: path)
        case .hdf5:
            return try HDF5File(path: path)
        case .vitkitBin:
            return try BinFile(path: path)
        case .npz:
            return try NpzArchive(path: path)
        case .torch:
            return try TorchCheckpoint(path: path)
        }
    }
}
