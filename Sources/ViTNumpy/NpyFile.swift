import ViTTensor

/// A `.npy` array read from a file (memory-mapped; a view when the data is little-endian C order).
public struct NpyFile: Sendable {
    /// The path it was read from.
    public let path: String
    /// The parsed header.
    public let header: NpyHeader
    /// The data as a little-endian, C-order tensor (converted when the file was big-endian or Fortran order).
    public let tensor: Tensor

    /// Reads `path`.
    /// - Throws: `NpyError` naming the file.
    public init(path: String) throws {
        let storage: ByteStorage
        do { storage = try ByteStorage(mapping: path) } catch let e as TensorError {
            if case let .io(_, m) = e { throw NpyError.io(file: path, message: m) }
            throw NpyError.io(file: path, message: e.description)
        }
        let header = try NpyHeader.parse(storage.bytes, file: path)
        guard let need = Shape.byteCount(header.shape, dtype: header.dtype) else {
            throw NpyError.invalidShape(file: path, shape: header.shape)
        }
        let have = storage.count - header.dataOffset
        guard have >= need else { throw NpyError.truncated(file: path, expectedBytes: header.dataOffset + need, foundBytes: storage.count) }
        guard have == need else { throw NpyError.trailingBytes(file: path, expectedBytes: need, foundBytes: have) }
        self.path = path
        self.header = header
        let raw = try Tensor(dtype: header.dtype, shape: header.shape, storage: storage, offset: header.dataOffset)
        self.tensor = try NpyFile.normalize(raw, header: header)
    }

    /// Byte-swaps big-endian data and reorders Fortran-order data into C order (a copy);
    /// returns `t` itself when it is already little-endian C order.
    /// - Parameters:
    ///   - t: the array's data exactly as stored, viewed with the header's dtype and shape.
    ///   - header: the header that describes `t` (byte order and memory order).
    /// - Throws: `TensorError` when `t` does not hold the shape's bytes.
    public static func normalize(_ t: Tensor, header: NpyHeader) throws -> Tensor {
        if !header.bigEndian && !header.fortranOrder { return t }
        let size = t.dtype.byteSize
        var bytes = t.bytes
        if header.bigEndian {
            var k = 0
            while k < bytes.count { bytes[k..<(k + size)].reverse(); k += size }
        }
        if header.fortranOrder && t.shape.count > 1 {
            bytes = fortranToC(bytes, shape: t.shape, elementSize: size)
        }
        return try Tensor(dtype: t.dtype, shape: t.shape, bytes: bytes)
    }

    static func fortranToC(_ src: [UInt8], shape: [Int], elementSize: Int) -> [UInt8] {
        let n = shape.reduce(1, *)
        var out = [UInt8](repeating: 0, count: src.count)
        let rank = shape.count
        var fStrides = [Int](repeating: 1, count: rank)
        for d in 1..<rank { fStrides[d] = fStrides[d - 1] * shape[d - 1] }
        var idx = [Int](repeating: 0, count: rank)
        for c in 0..<n {
            var f = 0
            for d in 0..<rank { f += idx[d] * fStrides[d] }
            for b in 0..<elementSize { out[c * elementSize + b] = src[f * elementSize + b] }
            var d = rank - 1
            while d >= 0 { idx[d] += 1; if idx[d] < shape[d] { break }; idx[d] = 0; d -= 1 }
        }
        return out
    }

    /// Writes `tensor` as a version 1.0 little-endian C-order `.npy` file, atomically.
    /// - Parameters:
    ///   - tensor: the array to write.
    ///   - path: destination.
    ///   - overwrite: replace an existing file.
    /// - Throws: `AtomicFileError` on I/O failure.
    public static func write(_ tensor: Tensor, to path: String, overwrite: Bool = true) throws {
        let out = try AtomicFile(destination: path, overwrite: overwrite)
        try out.write(NpyHeader.encode(dtype: tensor.dtype, shape: tensor.shape))
        try tensor.withUnsafeBytes { try out.write($0) }
        try out.commit()
    }
}
