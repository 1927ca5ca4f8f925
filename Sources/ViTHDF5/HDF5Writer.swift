internal import CHDF5
import ViTTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How `HDF5Writer` lays out datasets.
public struct HDF5WriteOptions: Sendable, Equatable {
    /// gzip (deflate) level 0…9, or nil for no compression. Compression implies chunked storage.
    public var gzipLevel: Int?
    /// Apply the shuffle filter before gzip (helps floats compress).
    public var shuffle: Bool
    /// Store datasets chunked even without compression.
    public var chunked: Bool
    /// The largest chunk in bytes; chunk shapes halve the largest dimension until they fit.
    public var chunkBytes: Int

    /// - Parameters:
    ///   - gzipLevel: gzip level 0…9, or nil for none.
    ///   - shuffle: shuffle before gzip.
    ///   - chunked: chunk even without compression.
    ///   - chunkBytes: the largest chunk in bytes (default 1 MiB).
    public init(gzipLevel: Int? = nil, shuffle: Bool = false, chunked: Bool = false, chunkBytes: Int = 1 << 20) {
        self.gzipLevel = gzipLevel
        self.shuffle = shuffle
        self.chunked = chunked
        self.chunkBytes = chunkBytes
    }

    /// Contiguous datasets, no filters (what h5py and Keras write by default).
    public static let contiguous = HDF5WriteOptions()

    /// Chunked, shuffled and gzip-compressed at `level`.
    public static func gzip(level: Int = 4) -> HDF5WriteOptions { HDF5WriteOptions(gzipLevel: level, shuffle: true) }

    var usesChunks: Bool { chunked || gzipLevel != nil }

    /// The chunk shape for `shape` (element size `elementSize`), or nil when the dataset must be contiguous
    /// (chunking not asked for, a scalar, or no elements).
    func chunkShape(for shape: [Int], elementSize: Int) -> [Int]? {
        guard usesChunks, !shape.isEmpty, !shape.contains(0) else { return nil }
        var chunk = shape
        while true {
            guard let bytes = Shape.elementCount(chunk).flatMap({ $0.multipliedReportingOverflow(by: elementSize).overflow ? nil : $0 * elementSize })
            else { return nil }
            if bytes <= chunkBytes { return chunk }
            guard let largest = chunk.indices.max(by: { chunk[$0] < chunk[$1] }), chunk[largest] > 1 else { return chunk }
            chunk[largest] = (chunk[largest] + 1) / 2
        }
    }
}

/// Writes a flat state dict to an HDF5 file, one tensor at a time, atomically.
///
/// Each tensor becomes a dataset at the root named exactly as the tensor (dots kept:
/// `/blocks.0.attn.qkv.weight`), created in the order given. F32, F64, F16 (IEEE half) and the integer
/// dtypes are stored as their little-endian HDF5 types, BOOL as h5py's FALSE/TRUE enum, and BF16 as a
/// 2-byte OPAQUE dataset with the attribute `dtype='bfloat16'`, as Keras writes it. Root string attributes
/// (e.g. `vitkit_config`) are variable-length UTF-8, as h5py writes a Python `str`.
///
/// The file is written to a temporary file in the destination's folder and renamed into place by
/// `commit()`; a writer dropped without `commit()` leaves no file behind.
public final class HDF5Writer {
    /// The path the file gets on `commit()`.
    public let destination: String
    /// The layout options.
    public let options: HDF5WriteOptions
    /// The tensor names written so far, in order.
    public private(set) var names: [String] = []

    private let output: AtomicFile
    private var file: HDF5ID?
    /// libhdf5's descriptor of the temporary file (see `discard`, `reserve`).
    private var descriptor: Int32?
    /// Bytes the finished file may need so far (see `reserve`): starts with room for the superblock,
    /// the root group and its heaps (a ViT-B/16 file's metadata is about 40 KB).
    private var plannedBytes: Int64 = 64 << 10
    private var written: Set<String> = []

    /// Creates the temporary file next to `destination`.
    /// - Parameters:
    ///   - destination: the final path.
    ///   - overwrite: allow replacing an existing file.
    ///   - options: layout (contiguous by default).
    /// - Throws: `AtomicFileError` (the destination exists, its folder is missing, …),
    ///   `HDF5Error.invalidOption`, `HDF5Error.library`.
    public init(destination: String, overwrite: Bool = false, options: HDF5WriteOptions = .contiguous) throws {
        if let level = options.gzipLevel, !(0...9).contains(level) {
            throw HDF5Error.invalidOption(file: destination, detail: "gzip level \(level) is outside 0…9")
        }
        guard options.chunkBytes > 0 else {
            throw HDF5Error.invalidOption(file: destination, detail: "chunk size \(options.chunkBytes) bytes must be positive")
        }
        self.destination = destination
        self.options = options
        output = try AtomicFile(destination: destination, overwrite: overwrite)
        output.releaseDescriptor()
        let temporary = output.temporaryPath
        (file, descriptor) = try HDF5Library.run { () throws(HDF5Error) in
            if options.gzipLevel != nil, H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0 {
                throw HDF5Error.invalidOption(file: destination, detail: "this libhdf5 has no gzip (deflate) filter")
            }
            let access = try HDF5Library.privateFileAccess(file: destination)
            let file = try HDF5ID(H5Fcreate(temporary, vk_H5F_ACC_TRUNC(), vk_H5P_DEFAULT(), access.id), .file,
                                  file: destination, "creating the file")
            return (file, try HDF5Library.setCloseOnExec(file.id, file: destination))
        }
    }

    private func openFile() throws(HDF5Error) -> HDF5ID {
        guard let file else { throw .writerClosed(file: destination) }
        return file
    }

    /// Sets a string attribute on the root (variable-length UTF-8), replacing one of the same name.
    /// - Parameters:
    ///   - value: the text, e.g. a config as JSON.
    ///   - name: the attribute name, e.g. `vitkit_config`.
    /// - Throws: `HDF5Error.writerClosed`, `.library`.
    public func setStringAttribute(_ value: String, named name: String) throws(HDF5Error) {
        let file = try openFile()
        let dest = destination
        try reserve(value.utf8.count + 1024, for: "attribute '\(name)'")
        try HDF5Library.run { () throws(HDF5Error) in
            let root = try HDF5ID(H5Oopen(file.id, "/", vk_H5P_DEFAULT()), .object, file: dest, "opening the root group")
            if try HDF5Library.check(H5Aexists(root.id, name), file: dest, "looking for attribute '\(name)'") > 0 {
                try HDF5Library.check(H5Adelete(root.id, name), file: dest, "replacing attribute '\(name)'")
            }
            let type = try HDF5ID(H5Tcopy(vk_H5T_C_S1()), .datatype, file: dest, "making a string type")
            try HDF5Library.check(H5Tset_size(type.id, vk_H5T_VARIABLE()), file: dest, "making a string type")
            try HDF5Library.check(H5Tset_cset(type.id, H5T_CSET_UTF8), file: dest, "making a string type")
            let space = try HDF5ID(H5Screate(H5S_SCALAR), .dataspace, file: dest, "making a scalar dataspace")
            let attribute = try HDF5ID(H5Acreate2(root.id, name, type.id, space.id, vk_H5P_DEFAULT(), vk_H5P_DEFAULT()),
                                       .attribute, file: dest, "creating attribute '\(name)'")
            let status = value.withCString { chars -> herr_t in
                var pointer: UnsafePointer<CChar>? = chars
                return H5Awrite(attribute.id, type.id, &pointer)
            }
            try HDF5Library.check(status, file: dest, "writing attribute '\(name)'")
        }
    }

    /// Writes one tensor as the root dataset `name`.
    /// - Parameters:
    ///   - tensor: the tensor (little-endian, C order).
    ///   - name: the dataset name; dots are kept, `/` is not allowed.
    /// - Throws: `HDF5Error.invalidTensorName`, `.duplicateTensorName`, `.unsupportedDType` (F8 types),
    ///   `.writerClosed`, `.library`.
    public func write(_ tensor: Tensor, named name: String) throws(HDF5Error) {
        let file = try openFile()
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.utf8.contains(0) else {
            throw .invalidTensorName(file: destination, name: name)
        }
        guard !written.contains(name) else { throw .duplicateTensorName(file: destination, name: name) }
        if tensor.dtype == .f8e4m3 || tensor.dtype == .f8e5m2 {
            throw .unsupportedDType(file: destination, tensor: name, dtype: tensor.dtype)
        }
        let dest = destination
        let options = options
        // Data, a margin for gzip's worst case and the chunk index, and the dataset's object header.
        try reserve(tensor.byteCount + tensor.byteCount / 256 + 8192, for: "'\(name)'")
        try HDF5Library.run { () throws(HDF5Error) in
            let type = try HDF5Writer.type(for: tensor.dtype, file: dest, tensor: name)
            let dims = tensor.shape.map { hsize_t($0) }
            let space = try HDF5ID(tensor.shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, nil),
                                   .dataspace, file: dest, "making the dataspace of '\(name)'")
            let create = try HDF5ID(H5Pcreate(vk_H5P_DATASET_CREATE()), .propertyList, file: dest, "making dataset properties")
            if let chunk = options.chunkShape(for: tensor.shape, elementSize: tensor.dtype.byteSize) {
                let chunkDims = chunk.map { hsize_t($0) }
                try HDF5Library.check(H5Pset_chunk(create.id, Int32(chunkDims.count), chunkDims), file: dest, "chunking '\(name)'")
                if options.shuffle && options.gzipLevel != nil {
                    try HDF5Library.check(H5Pset_shuffle(create.id), file: dest, "adding the shuffle filter to '\(name)'")
                }
                if let level = options.gzipLevel {
                    try HDF5Library.check(H5Pset_deflate(create.id, UInt32(level)), file: dest, "adding gzip to '\(name)'")
                }
            }
            let dataset = try HDF5ID(H5Dcreate2(file.id, name, type.id, space.id, vk_H5P_DEFAULT(), create.id, vk_H5P_DEFAULT()),
                                     .dataset, file: dest, "creating dataset '\(name)'")
            if tensor.byteCount > 0 {
                let status = tensor.withUnsafeBytes { H5Dwrite(dataset.id, type.id, vk_H5S_ALL(), vk_H5S_ALL(), vk_H5P_DEFAULT(), $0.baseAddress) }
                try HDF5Library.check(status, file: dest, "writing dataset '\(name)'")
            }
            if tensor.dtype == .bf16 {
                // Keras marks its OPAQUE bfloat16 datasets with this attribute; readers key on it.
                let stringType = try HDF5ID(H5Tcopy(vk_H5T_C_S1()), .datatype, file: dest, "making a string type")
                try HDF5Library.check(H5Tset_size(stringType.id, vk_H5T_VARIABLE()), file: dest, "making a string type")
                try HDF5Library.check(H5Tset_cset(stringType.id, H5T_CSET_UTF8), file: dest, "making a string type")
                let scalar = try HDF5ID(H5Screate(H5S_SCALAR), .dataspace, file: dest, "making a scalar dataspace")
                let attribute = try HDF5ID(H5Acreate2(dataset.id, "dtype", stringType.id, scalar.id, vk_H5P_DEFAULT(), vk_H5P_DEFAULT()),
                                           .attribute, file: dest, "tagging '\(name)' as bfloat16")
                let status = "bfloat16".withCString { chars -> herr_t in
                    var pointer: UnsafePointer<CChar>? = chars
                    return H5Awrite(attribute.id, stringType.id, &pointer)
                }
                try HDF5Library.check(status, file: dest, "tagging '\(name)' as bfloat16")
            }
        }
        written.insert(name)
        names.append(name)
    }

    /// The HDF5 type of `dtype`, used both in the file and in memory (tensors are little-endian already).
    private static func type(for dtype: DType, file: String, tensor: String) throws(HDF5Error) -> HDF5ID {
        let what = "making the \(dtype.rawValue) type of '\(tensor)'"
        switch dtype {
        case .bf16:
            return try HDF5ID(H5Tcreate(H5T_OPAQUE, 2), .datatype, file: file, what)
        case .bool:
            let type = try HDF5ID(H5Tenum_create(vk_H5T_STD_I8LE()), .datatype, file: file, what)
            var no: Int8 = 0, yes: Int8 = 1
            try HDF5Library.check(H5Tenum_insert(type.id, "FALSE", &no), file: file, what)
            try HDF5Library.check(H5Tenum_insert(type.id, "TRUE", &yes), file: file, what)
            return type
        default:
            return try HDF5ID(H5Tcopy(try HDF5Types.littleEndianType(dtype, file: file, tensor: tensor)), .datatype, file: file, what)
        }
    }

    /// Closes the file, flushes it to disk and renames it onto the destination.
    /// - Throws: `HDF5Error.writerClosed`, `.library`, `.io` (syncing), `AtomicFileError` (renaming).
    public func commit() throws {
        let file = try openFile()
        self.file = nil
        // Flush while the file is still open, so that a failure (a full disk) can be handled: libhdf5 cannot
        // recover from a failed H5Fclose, and its exit handler then crashes on the half-closed file.
        do {
            try HDF5Library.run { () throws(HDF5Error) in
                try HDF5Library.check(H5Fflush(file.id, H5F_SCOPE_LOCAL), file: destination, "writing the file")
            }
        } catch {
            discard(file)
            throw error
        }
        try file.close(file: destination)
        let fd = open(output.temporaryPath, O_WRONLY | O_CLOEXEC)
        // Give back the blocks reserved past the end (the file system keeps them until a truncate).
        var info = stat()
        if fd >= 0, fstat(fd, &info) == 0 { _ = ftruncate(fd, info.st_size) }
        guard fd >= 0, fsync(fd) == 0 else {
            let message = String(cString: strerror(errno))
            if fd >= 0 { close(fd) }
            throw HDF5Error.io(file: destination, operation: "syncing", message: message)
        }
        close(fd)
        try output.commitExternallyWritten()
    }

    /// Writes a whole state dict and commits.
    /// - Parameters:
    ///   - tensors: (name, tensor) pairs in the order to write them; the sequence may produce tensors lazily.
    ///   - attributes: root string attributes.
    ///   - destination: the final path.
    ///   - overwrite: allow replacing an existing file.
    ///   - options: layout.
    /// - Throws: as `init`, `write(_:named:)` and `commit()`; on failure no file is left behind.
    public static func write<S: Sequence>(_ tensors: S, attributes: [String: String] = [:], to destination: String,
                                          overwrite: Bool = false, options: HDF5WriteOptions = .contiguous) throws
    where S.Element == (String, Tensor) {
        let writer = try HDF5Writer(destination: destination, overwrite: overwrite, options: options)
        for (name, value) in attributes.sorted(by: { $0.key < $1.key }) { try writer.setStringAttribute(value, named: name) }
        for (name, tensor) in tensors { try writer.write(tensor, named: name) }
        try writer.commit()
    }

    /// Reserves disk blocks for everything planned so far plus `bytes`, before libhdf5 writes any of it.
    ///
    /// libhdf5 1.10 cannot recover from a failed write of its metadata: the cache is left unable to close
    /// the file, and the library's exit handler later crashes on it. So the space the file will need is
    /// reserved ahead (without growing the file), and a full disk or a file-size limit is reported here,
    /// while libhdf5 is still in a state that closes cleanly.
    private func reserve(_ bytes: Int, for what: String) throws(HDF5Error) {
        plannedBytes += Int64(bytes)
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max,
           UInt64(plannedBytes) > UInt64(limit.rlim_cur) {
            throw .io(file: destination, operation: "writing \(what)", message: String(cString: strerror(EFBIG)))
        }
        guard let fd = descriptor else { return }
        let e = AtomicFile.reserveBlocks(descriptor: fd, bytes: plannedBytes)
        if e != 0 { throw .io(file: destination, operation: "writing \(what)", message: String(cString: strerror(e))) }
    }

    /// Closes an abandoned file, whose content no longer matters, so that libhdf5 can close it cleanly:
    /// the temporary file is emptied first, which gives back its disk space to the metadata libhdf5 still
    /// flushes on close. (A failed H5Fclose leaves the file half-closed inside libhdf5, whose exit handler
    /// then crashes on it.)
    private func discard(_ file: HDF5ID) {
        if let fd = descriptor { _ = ftruncate(fd, 0) }
        try? file.close(file: destination)
    }

    deinit {
        // Abandoned: close the HDF5 file first, without writing it; the AtomicFile then removes the
        // temporary file.
        if let file { discard(file) }
        file = nil
    }
}
