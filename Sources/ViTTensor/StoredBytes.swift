/// A stored tensor whose bytes — exactly those `tensor(named:)` returns: little-endian, C order — lie
/// verbatim in its file and can be read piece by piece, without materialising the tensor.
///
/// A streaming copy (a conversion) reads them through one small reused buffer, so memory stays at that
/// buffer whatever the tensor's size, and the bytes pass from the file to the output without a heap copy
/// of the whole tensor or a mapping of it.
public struct StoredBytes: Sendable {
    /// The tensor's name, dtype and shape as stored.
    public let info: TensorInfo
    private let reader: @Sendable (Int, UnsafeMutableRawBufferPointer) throws -> Void

    /// - Parameters:
    ///   - info: the stored tensor.
    ///   - read: copies the tensor's bytes `offset ..< offset + destination.count` into `destination` (the
    ///     caller keeps the range inside `info.byteCount`), or throws the format's read error.
    public init(info: TensorInfo, read: @escaping @Sendable (_ offset: Int, _ destination: UnsafeMutableRawBufferPointer) throws -> Void) {
        self.info = info
        reader = read
    }

    /// A memory-mapped tensor's bytes, read from its file with `pread` instead of through the mapping; nil when
    /// the tensor is not a view into a mapped file (heap data, shared memory).
    /// - Parameters:
    ///   - tensor: a tensor returned by a source.
    ///   - name: its name.
    public init?(fileBacked tensor: Tensor, name: String) {
        let storage = tensor.storage
        guard storage.isFileBacked else { return nil }
        let start = tensor.offset
        self.init(info: TensorInfo(name: name, dtype: tensor.dtype, shape: tensor.shape)) { offset, destination in
            try storage.readFile(at: start + offset, into: destination)
        }
    }

    /// Number of bytes.
    public var count: Int { info.byteCount }

    /// Copies bytes `offset ..< offset + destination.count` of the tensor into `destination`.
    /// - Throws: `TensorError.io` for a range outside the tensor; the source's read errors.
    public func read(at offset: Int, into destination: UnsafeMutableRawBufferPointer) throws {
        let (end, overflow) = offset.addingReportingOverflow(destination.count)
        guard offset >= 0, !overflow, end <= count else {
            throw TensorError.io(path: info.name, message: "bytes \(offset)..<\(end) are outside the tensor's \(count) bytes")
        }
        guard destination.count > 0 else { return }
        try reader(offset, destination)
    }
}
