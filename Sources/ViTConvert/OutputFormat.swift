/// The formats `Converter` writes, chosen by the output file's extension.
public enum OutputFormat: String, Sendable, CaseIterable, Equatable {
    /// ViTKit's native `.bin`: canonical names, the config embedded as the file's config JSON.
    case bin
    /// `.safetensors`: canonical timm names and shapes, loadable by timm with `strict=True`;
    /// the config in `__metadata__["vitkit_config"]`.
    case safetensors
    /// `.h5`: a flat HDF5 file, one root dataset per canonical name (dots kept); the config as the
    /// root attribute `vitkit_config`.
    case hdf5

    /// The extension that selects this format (without the dot).
    public var fileExtension: String {
        switch self {
        case .bin: return "bin"
        case .safetensors: return "safetensors"
        case .hdf5: return "h5"
        }
    }

    /// The extensions `init(path:)` accepts, as a message lists them: `.bin, .safetensors, .h5`.
    public static var extensionList: String { available.map { "." + $0.fileExtension }.joined(separator: ", ") }

    /// The formats this build writes (`.h5` needs the package trait `HDF5`, on by default).
    public static var available: [OutputFormat] {
        #if HDF5
        return allCases
        #else
        return allCases.filter { $0 != .hdf5 }
        #endif
    }

    /// The format for an output path, by its extension (case-insensitive).
    /// - Parameter path: the output file.
    /// - Throws: `ConvertError.unsupportedOutputExtension` for any other extension (or none).
    public init(path: String) throws {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let ext: String
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            ext = String(name[name.index(after: dot)...]).lowercased()
        } else {
            ext = ""
        }
        guard let format = OutputFormat.available.first(where: { $0.fileExtension == ext }) else {
            throw ConvertError.unsupportedOutputExtension(path: path, found: ext)
        }
        self = format
    }
}
