import ViTTensor

/// One `.safetensors` file, memory-mapped and validated when opened.
///
/// `tensor(named:)` returns a view into the mapping (no copy); the mapping stays alive while any view does.
public final class SafetensorsFile: TensorSource {
    /// The file's path.
    public let path: String
    /// The validated header.
    public let header: SafetensorsHeader
    /// Every tensor in data-offset order.
    public let tensorInfos: [TensorInfo]
    private let storage: ByteStorage
    private let indexByName: [String: Int]

    /// Always `safetensors`.
    public var formatName: String { "safetensors" }
    /// The header's `__metadata__`.
    public var metadata: [String: String] { header.metadata }
    /// The size of the file in bytes.
    public var fileSize: Int { storage.count }

    /// Maps and validates the file at `path`.
    /// - Parameter path: a `.safetensors` file.
    /// - Throws: `SafetensorsError.io` when the file cannot be opened or mapped, or the `SafetensorsError`
    ///   case of the first rule the file breaks.
    public init(path: String) throws {
        let storage = try FileSystem.map(path)
        let header = try SafetensorsHeader.parse(bytes: storage.bytes, fileSize: storage.count, path: path)
        self.path = path
        self.storage = storage
        self.header = header
        self.tensorInfos = header.entries.map(\.info)
        var index: [String: Int] = [:]
        index.reserveCapacity(header.entries.count)
        for (i, e) in header.entries.enumerated() { index[e.name] = i }
        self.indexByName = index
    }

    /// True when the file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool { indexByName[name] != nil }

    /// The header entry (dtype, shape, offsets) of `name`, if present.
    public func entry(named name: String) -> SafetensorsHeader.Entry? {
        indexByName[name].map { header.entries[$0] }
    }

    /// A view of the tensor's bytes inside the mapping (no copy).
    /// - Parameter name: the tensor's name.
    /// - Throws: `SafetensorsError.tensorNotFound` when there is no such tensor.
    public func tensor(named name: String) throws -> Tensor {
        guard let i = indexByName[name] else { throw SafetensorsError.tensorNotFound(file: path, tensor: name) }
        let e = header.entries[i]
        return try Tensor(dtype: e.dtype, shape: e.shape, storage: storage, offset: header.dataStart + e.begin)
    }

    /// The tensor's bytes, read from the file with `pread` rather than through the mapping (see `StoredBytes`).
    /// - Parameter name: the tensor's name.
    /// - Throws: `SafetensorsError.tensorNotFound` when there is no such tensor.
    public func storedBytes(named name: String) throws -> StoredBytes? {
        StoredBytes(fileBacked: try tensor(named: name), name: name)
    }
}
