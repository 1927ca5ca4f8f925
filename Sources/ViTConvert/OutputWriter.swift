import ViTBin
#if HDF5
import ViTHDF5
#endif
import ViTSafetensors
import ViTTensor

/// One streaming, atomic writer for any output format: the tensor list and metadata up front, then
/// each tensor in list order, then `finish()`, which syncs the file and renames it into place.
/// Dropping an unfinished writer removes its temporary file.
final class OutputWriter {
    private enum Backend {
        case bin(BinWriter)
        case safetensors(SafetensorsWriter)
        #if HDF5
        case hdf5(HDF5Writer)
        #endif
    }

    private let backend: Backend

    /// The order tensors must be written in: canonical order, except for safetensors, which uses the
    /// reference writer's order (dtype size descending, then name) so every tensor is naturally aligned.
    static func fileOrder(_ tensors: [TensorInfo], format: OutputFormat) -> [TensorInfo] {
        format == .safetensors ? SafetensorsWriter.alignedOrder(tensors) : tensors
    }

    /// Creates the temporary output and writes everything that precedes the tensor data.
    /// - Parameters:
    ///   - format: the output format.
    ///   - path: the destination.
    ///   - tensors: every tensor, in `fileOrder`.
    ///   - configJSON: the config (`.bin` embeds it as its config JSON; the others carry it in `metadata`).
    ///   - metadata: string metadata (`__metadata__`, root attributes, `.bin` metadata).
    ///   - overwrite: replace an existing destination.
    /// - Throws: the format writer's errors.
    init(format: OutputFormat, path: String, tensors: [TensorInfo], configJSON: String, metadata: [String: String],
         overwrite: Bool) throws {
        switch format {
        case .bin:
            backend = .bin(try BinWriter(path: path, tensors: tensors, configJSON: configJSON, metadata: metadata,
                                         overwrite: overwrite))
        case .safetensors:
            backend = .safetensors(try SafetensorsWriter(path: path, tensors: tensors, metadata: metadata, overwrite: overwrite))
        #if HDF5
        case .hdf5:
            let w = try HDF5Writer(destination: path, overwrite: overwrite, options: .contiguous)
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { try w.setStringAttribute(value, named: key) }
            backend = .hdf5(w)
        #else
        case .hdf5:
            throw ConvertError.unsupportedOutputExtension(path: path, found: "h5")
        #endif
        }
    }

    /// Writes the next tensor.
    /// - Throws: the format writer's errors (wrong order, dtype or shape; I/O failures such as a full disk).
    func write(_ tensor: Tensor, named name: String) throws {
        switch backend {
        case let .bin(w): try w.write(tensor, named: name)
        case let .safetensors(w): try w.write(name, tensor)
        #if HDF5
        case let .hdf5(w): try w.write(tensor, named: name)
        #endif
        }
    }

    /// True when the format can take a tensor piece by piece (`write(_:from:)`): `.bin` and `.safetensors`.
    var streams: Bool {
        switch backend {
        case .bin, .safetensors: return true
        #if HDF5
        case .hdf5: return false
        #endif
        }
    }

    /// Writes the next tensor as `read` produces it, piece by piece through one small buffer.
    /// - Parameters:
    ///   - info: the tensor's name, dtype and shape, as listed.
    ///   - read: fills `destination` with bytes `offset ..< offset + destination.count`.
    /// - Throws: the format writer's errors, whatever `read` throws; `ConvertError` is not involved.
    func write(_ info: TensorInfo, from read: (_ offset: Int, _ destination: UnsafeMutableRawBufferPointer) throws -> Void) throws {
        switch backend {
        case let .bin(w): try w.write(name: info.name, dtype: info.dtype, shape: info.shape, byteCount: info.byteCount, from: read)
        case let .safetensors(w): try w.write(info.name, byteCount: info.byteCount, from: read)
        #if HDF5
        case .hdf5: preconditionFailure("HDF5 output does not stream: check `streams` first")
        #endif
        }
    }

    /// Syncs the file to disk and renames it onto the destination.
    /// - Throws: the format writer's errors.
    func finish() throws {
        switch backend {
        case let .bin(w): try w.finish()
        case let .safetensors(w): try w.finish()
        #if HDF5
        case let .hdf5(w): try w.commit()
        #endif
        }
    }
}
