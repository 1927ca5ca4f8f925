
/// The container formats ViTKit reads, detected by content (never by extension).
public enum CheckpointFormat: String, Sendable, CaseIterable {
    /// A single `.safetensors` file.
    case safetensors
    /// A `*.safetensors.index.json` naming shards.
    case safetensorsIndex = "safetensors-index"
    /// A folder holding safetensors weights (e.g. a Hugging Face `save_pretrained` folder).
    case folder
    /// An HDF5 file (signature at 0, or after a user block at 512, 1024, ...).
    case hdf5
    /// ViTKit's native `.bin`.
    case vitkitBin = "vitkit-bin"
    /// A NumPy `.npz` archive (e.g. Google's original JAX ViT checkpoints).
    case npz
    /// A PyTorch `torch.save` file (zip format; legacy pre-1.6 files are refused with advice).
    case torch

    /// What `--help` and error messages list as readable.
    public static var readableDescription: String {
        #if HDF5
        "safetensors (file, *.safetensors.index.json, or a folder), HDF5 (.h5/.hdf5/Keras weights), PyTorch torch.save (.pth/.pt), NumPy .npz, ViTKit .bin"
        #else
        "safetensors (file, *.safetensors.index.json, or a folder), PyTorch torch.save (.pth/.pt), NumPy .npz, ViTKit .bin"
        #endif
    }
}

/// Errors of format detection and opening.
public enum FormatError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Nothing exists at the path.
    case notFound(path: String)
    /// The path cannot be read (permissions).
    case unreadable(path: String, message: String)
    /// The content matches no format ViTKit reads.
    case unrecognized(path: String, firstBytes: String)
    /// A JSON file that is not a safetensors index (no `weight_map`).
    case notAnIndex(path: String)
    /// A ZIP archive holding neither a `torch.save` pickle nor `.npy` arrays.
    case unrecognizedArchive(path: String, entries: [String])
    /// The `config.json` beside the weights cannot be read as UTF-8 text.
    case invalidConfig(path: String, message: String)
    /// A format this build leaves out (the package trait that reads it is off).
    case notBuilt(path: String, format: String, trait: String)

    public var description: String {
        switch self {
        case let .notFound(p): return "\(p): no such file or folder"
        case let .unreadable(p, m): return "\(p): cannot read: \(m)"
        case let .unrecognized(p, b):
            return "\(p): not a checkpoint ViTKit reads (first bytes \(b)); expected \(CheckpointFormat.readableDescription)"
        case let .notAnIndex(p):
            return "\(p): a JSON file but not a safetensors index (expected a \"weight_map\" object)"
        case let .unrecognizedArchive(p, e):
            return "\(p): a ZIP archive but neither a torch.save file (<name>/data.pkl) nor an .npz (.npy members); "
                + "found " + (e.isEmpty ? "no members" : e.joined(separator: ", ")) + "; expected \(CheckpointFormat.readableDescription)"
        case let .notBuilt(p, f, t):
            return "\(p): \(f) content, which this build of ViTKit does not read; enable the package trait \(t) (on by default)"
        case let .invalidConfig(p, m):
            return "\(p): the config.json beside the weights must be UTF-8 JSON text, found \(m); fix or remove it"
        }
    }
}
