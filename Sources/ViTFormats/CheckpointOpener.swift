import ViTBin
#if HDF5
import ViTHDF5
#endif
import ViTNpz
import ViTTorch
import ViTSafetensors
import ViTTensor
import ViTZip

/// A checkpoint opened by content: its format and the reader's source.
public struct OpenedCheckpoint: Sendable {
    /// The format detection chose (`.folder` for a folder, whatever it holds).
    public let format: CheckpointFormat
    /// The opened checkpoint (headers read and validated; tensor data not yet read), with its `config.json`
    /// sidecar when one sits beside the weights.
    public let source: any TensorSource
}

/// How `CheckpointOpener` opens what it detects.
public struct OpenOptions: Sendable, Equatable {
    /// How a ViTKit `.bin`'s whole-file checksum is verified.
    public enum BinChecksum: Sendable, Equatable {
        /// By hashing the whole mapping at once (the reader's default; leaves every page resident).
        case whole
        /// In slices whose pages are released after hashing (a conversion's input: memory stays near one slice).
        case sliced
    }

    /// How a `.bin` checksum is verified.
    public var binChecksum: BinChecksum

    /// - Parameter binChecksum: how a `.bin` checksum is verified (default: `.whole`).
    public init(binChecksum: BinChecksum = .whole) { self.binChecksum = binChecksum }
}

/// Opens any checkpoint ViTKit reads, choosing the reader by content, in one pass.
///
/// Detection is authoritative: the first bytes pick the reader, the reader opens the file (each container is
/// parsed once) and its own error is what the caller sees — a truncated `.pth` reports the zip's error, a
/// sharded index renamed to `weights.json` opens as an index.
public enum CheckpointOpener {
    /// Opens the file or folder at `path`.
    /// - Returns: the checkpoint as a `TensorSource` (headers read and validated; tensor data not yet read).
    /// - Throws: `FormatError` when the path is missing, unreadable or of no format ViTKit reads; otherwise the
    ///   chosen reader's error (`SafetensorsError`, `HDF5Error`, `BinError`, `ZipError`, `TorchError`, `NpzError`).
    public static func open(_ path: String) throws -> any TensorSource { try openDetected(path).source }

    /// Opens the file or folder at `path` and says which format it is.
    /// - Parameters:
    ///   - path: a file or folder.
    ///   - options: how to open what is found.
    /// - Throws: as `open(_:)`.
    public static func openDetected(_ path: String, options: OpenOptions = OpenOptions()) throws -> OpenedCheckpoint {
        switch try FormatDetection.sniff(path: path) {
        case .folder:
            let checkpoint: SafetensorsCheckpoint
            switch try SafetensorsCheckpoint.resolve(folder: path) {
            case let .index(index): checkpoint = try SafetensorsCheckpoint(path: path, index: index)
            case let .file(file): checkpoint = SafetensorsCheckpoint(path: path, file: try SafetensorsFile(path: file))
            }
            return OpenedCheckpoint(format: .folder, source: try ConfigSidecar.attach(to: checkpoint, folder: path))
        case .hdf5:
            #if HDF5
            return OpenedCheckpoint(format: .hdf5, source: try HDF5File(path: path))
            #else
            throw FormatError.notBuilt(path: path, format: "HDF5", trait: "HDF5")
            #endif
        case .vitkitBin:
            return OpenedCheckpoint(format: .vitkitBin, source: try openBin(path, checksum: options.binChecksum))
        case .safetensors:
            let checkpoint = SafetensorsCheckpoint(path: path, file: try SafetensorsFile(path: path))
            return OpenedCheckpoint(format: .safetensors, source: try ConfigSidecar.attach(to: checkpoint, besideFile: path))
        case .json:
            return OpenedCheckpoint(format: .safetensorsIndex, source: try openIndex(path))
        case .zip:
            return try openZip(path)
        case .legacyTorch:
            throw TorchError.legacyFormat(file: path)
        }
    }

    /// A JSON file: a sharded index whatever its name, parsed once by the index's strict parser.
    static func openIndex(_ path: String) throws -> any TensorSource {
        let index: SafetensorsIndex
        do { index = try SafetensorsIndex(path: path) } catch SafetensorsError.invalidIndex(_, let expected, "none")
            where expected.contains("weight_map") {
            throw FormatError.notAnIndex(path: path)
        }
        let checkpoint = try SafetensorsCheckpoint(path: path, index: index)
        return try ConfigSidecar.attach(to: checkpoint, besideFile: path)
    }

    /// A zip archive, its directory parsed once: a torch.save file when it holds a pickle, else an `.npz`
    /// when it holds arrays. A damaged archive reports the zip's own error.
    static func openZip(_ path: String) throws -> OpenedCheckpoint {
        let zip = try ZipArchive(path: path)
        if TorchCheckpoint.isTorchArchive(zip) {
            do { return OpenedCheckpoint(format: .torch, source: try TorchCheckpoint(archive: zip)) } catch let e as ZipError {
                throw TorchError.zip(e)
            }
        }
        if NpzArchive.isNpzArchive(zip) {
            do { return OpenedCheckpoint(format: .npz, source: try NpzArchive(archive: zip)) } catch let e as ZipError {
                throw NpzError.zip(e)
            }
        }
        throw FormatError.unrecognizedArchive(path: path, entries: zip.entries.prefix(5).map(\.name))
    }
}
