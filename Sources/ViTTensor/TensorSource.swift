/// Name, dtype and shape of one stored tensor, known without reading its data.
public struct TensorInfo: Sendable, Equatable, Hashable {
    /// The tensor's name in its file (for HDF5, the flattened dotted path).
    public let name: String
    /// Element type as stored.
    public let dtype: DType
    /// Dimensions as stored.
    public let shape: [Int]

    public init(name: String, dtype: DType, shape: [Int]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }

    /// Number of elements (0 for an invalid shape; readers validate shapes before building an info).
    public var elementCount: Int { Shape.elementCount(shape) ?? 0 }
    /// Number of bytes as stored.
    public var byteCount: Int { Shape.byteCount(shape, dtype: dtype) ?? 0 }
}

/// A readable checkpoint: a container of named tensors with string metadata.
///
/// Implemented by every format target (safetensors, HDF5, native .bin, ...). Listing tensors reads
/// headers only; `tensor(named:)` reads (or maps) one tensor's data.
public protocol TensorSource: AnyObject, Sendable {
    /// The file or folder this checkpoint was opened from.
    var path: String { get }
    /// Short format name, e.g. `safetensors`, `hdf5`, `vitkit-bin`.
    var formatName: String { get }
    /// Every tensor, in the container's stable order (file order where the format has one).
    var tensorInfos: [TensorInfo] { get }
    /// Free-form string metadata (safetensors `__metadata__`, HDF5 root string attributes, ...).
    var metadata: [String: String] { get }
    /// The JSON text of a model config shipped beside or inside the checkpoint (`config.json`), if any.
    var configJSON: String? { get }
    /// Every file the source reads (its data, index and companion files), `path` first. Default: `[path]`.
    var files: [String] { get }
    /// The model-level weight names a container records in attributes rather than in its tensor names
    /// (Keras HDF5 files), or nil. Default: nil.
    /// - Throws: the format's error when the attributes exist but cannot be read.
    func kerasNames() throws -> KerasNames?
    /// Reads one tensor. Formats that can memory-map return a view into the file.
    /// - Throws: the format's error enum, naming the file and the tensor.
    func tensor(named name: String) throws -> Tensor
    /// Whether `tensorInfos` lists the tensors in the order the model registered them (a pickled state dict
    /// keeps it; safetensors and HDF5 sort names). Default: false.
    var keepsRegistrationOrder: Bool { get }
    /// The tensor's bytes as stored, to be read piece by piece straight from the file (see `StoredBytes`), or nil
    /// when the format cannot (compressed, chunked, converted or in-memory data). Default: nil.
    /// - Throws: the format's error when there is no such tensor.
    func storedBytes(named name: String) throws -> StoredBytes?
}

extension TensorSource {
    public var configJSON: String? { nil }
    public var files: [String] { [path] }
    public func kerasNames() throws -> KerasNames? { nil }
    public var keepsRegistrationOrder: Bool { false }
    public func storedBytes(named name: String) throws -> StoredBytes? { nil }

    /// The info of the tensor called `name`, if present.
    public func info(named name: String) -> TensorInfo? { tensorInfos.first { $0.name == name } }

    /// The tensor names in container order.
    public var tensorNames: [String] { tensorInfos.map(\.name) }
}
