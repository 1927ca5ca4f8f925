import ViTTensor
import ViTZip

/// A `torch.save` checkpoint in the zip format (PyTorch ≥ 1.6), read without running any code.
///
/// Opening reads the ZIP directory and `<archive>/data.pkl` only: the pickle is read by a restricted
/// unpickler that accepts state dicts (tensors, storages, OrderedDicts, plain Python data) and refuses
/// every other global by name. Tensor names, dtypes and shapes come from the pickle; a tensor's bytes
/// are read only by `tensor(named:)` — a zero-copy view into the memory-mapped file when the tensor is
/// contiguous and little-endian, else copied into C order.
///
/// Wrapped checkpoints are unwrapped as timm does: the state dict is the top-level `state_dict` entry,
/// else `model`, else the top-level dict itself (with `useEMA`, `state_dict_ema` then `model_ema` come
/// first). The `module.` (DataParallel) and `_orig_mod.` (torch.compile) prefixes are stripped.
/// Metadata records what was done: `vitkit_wrapper_key`, `vitkit_skipped_entries`,
/// `vitkit_stripped_prefixes`.
public final class TorchCheckpoint: TensorSource {
    /// The file's path.
    public let path: String
    /// `torch-zip`.
    public let formatName = "torch-zip"
    /// A pickled state dict lists tensors in the order the model registered them.
    public let keepsRegistrationOrder = true
    /// Every tensor of the state dict, in dict order, with names cleaned of wrapper prefixes.
    public let tensorInfos: [TensorInfo]
    /// What unwrapping did (see the type's documentation).
    public let metadata: [String: String]
    /// The ZIP container.
    public let archive: ZipArchive
    /// The folder name inside the ZIP (`archive`, or the file's stem, as torch wrote it).
    public let archiveName: String
    /// True when the `byteorder` record says `big` (tensors are byte-swapped when read).
    public let bigEndian: Bool
    private let records: [String: Record]

    struct Record: Sendable {
        let dtype: DType
        let shape: [Int]
        let stride: [Int]
        let storageOffset: Int
        let entry: ZipEntry
        let contiguous: Bool
    }

    /// First bytes of a legacy (pre-1.6) file: pickle protocol 2 and the magic number LONG1.
    static let legacyMagicNumber: [UInt8] = [0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    /// Opens the checkpoint at `path`.
    /// - Parameters:
    ///   - path: the `.pth`/`.pt`/`.bin` file.
    ///   - useEMA: prefer the `state_dict_ema` / `model_ema` entry when present.
    /// - Throws: `TorchError` naming the file (and the global, tensor or member at fault).
    public convenience init(path: String, useEMA: Bool = false) throws {
        let storage: ByteStorage
        do { storage = try ByteStorage(mapping: path) } catch let TensorError.io(_, message) {
            throw TorchError.zip(.io(file: path, message: message))
        }
        let head = Array(storage.bytes.prefix(16))
        if TorchCheckpoint.looksLikeLegacyTorch(prefix: head) { throw TorchError.legacyFormat(file: path) }
        let zip: ZipArchive
        do { zip = try ZipArchive(storage: storage, path: path) } catch let e as ZipError { throw TorchError.zip(e) }
        try self.init(archive: zip, useEMA: useEMA)
    }

    /// Reads the checkpoint held by an opened ZIP archive.
    /// - Parameters:
    ///   - archive: the ZIP container.
    ///   - useEMA: prefer the `state_dict_ema` / `model_ema` entry when present.
    /// - Throws: `TorchError` naming the file.
    public init(archive: ZipArchive, useEMA: Bool = false) throws {
        let file = archive.path
        self.path = file
        self.archive = archive
        let names = TorchCheckpoint.archiveNames(archive)
        guard let name = names.first else { throw TorchError.noDataPickle(file: file) }
        guard names.count == 1 else { throw TorchError.ambiguousArchive(file: file, archives: names) }
        archiveName = name
        if archive.entry(named: "\(name)/constants.pkl") != nil || archive.entries.contains(where: { $0.name.hasPrefix("\(name)/code/") }) {
            throw TorchError.torchScript(file: file)
        }
        bigEndian = try TorchCheckpoint.readByteOrder(archive, name: name)

        guard let pickleEntry = archive.entry(named: "\(name)/data.pkl") else { throw TorchError.noDataPickle(file: file) }
        let pickle: ZipMemberBytes
        do { pickle = try archive.contents(of: pickleEntry) } catch let e as ZipError { throw TorchError.zip(e) }
        let chosen = try pickle.withUnsafeBytes { bytes in
            var unpickler = Unpickler(bytes)
            defer { unpickler.arena.release() }
            let top: PickleValue
            do throws(PickleError) { top = try unpickler.load() } catch { throw TorchCheckpoint.torchError(error, file: file) }
            return try TorchStateDict.choose(top, useEMA: useEMA, file: file)
        }
        var infos: [TensorInfo] = []
        var records: [String: Record] = [:]
        var checkedStorages: [String: ZipEntry] = [:]
        for (tensorName, _, t) in chosen.entries {
            let entry: ZipEntry
            if let e = checkedStorages[t.storage.key] {
                entry = e
            } else {
                guard let e = archive.entry(named: "\(name)/data/\(t.storage.key)") else {
                    throw TorchError.missingStorage(file: file, tensor: tensorName, key: t.storage.key)
                }
                let (expected, o) = t.storage.numel.multipliedReportingOverflow(by: t.storage.dtype.byteSize)
                guard !o, expected == e.uncompressedSize else {
                    throw TorchError.storageSizeMismatch(file: file, key: t.storage.key, expected: o ? Int.max : expected,
                                                         found: e.uncompressedSize)
                }
                checkedStorages[t.storage.key] = e
                entry = e
            }
            let storageBytes = entry.uncompressedSize
            guard Shape.byteCount(t.size, dtype: t.dtype) != nil,
                  let elements = StridedCopy.elementsNeeded(offset: t.storageOffset, size: t.size, stride: t.stride) else {
                throw TorchError.tensorOutOfBounds(file: file, tensor: tensorName, needed: Int.max, storageBytes: storageBytes)
            }
            let (needed, o) = elements.multipliedReportingOverflow(by: t.dtype.byteSize)
            guard !o, needed <= storageBytes else {
                throw TorchError.tensorOutOfBounds(file: file, tensor: tensorName, needed: o ? Int.max : needed, storageBytes: storageBytes)
            }
            infos.append(TensorInfo(name: tensorName, dtype: t.dtype, shape: t.size))
            records[tensorName] = Record(dtype: t.dtype, shape: t.size, stride: t.stride, storageOffset: t.storageOffset,
                                         entry: entry, contiguous: StridedCopy.isContiguous(size: t.size, stride: t.stride))
        }
        tensorInfos = infos
        self.records = records
        metadata = chosen.metadata
    }

    /// Reads one tensor.
    /// - Parameter name: the cleaned state-dict key (e.g. `blocks.0.attn.qkv.weight`).
    /// - Returns: a view into the file when the tensor is contiguous and little-endian, else a C-order copy.
    /// - Throws: `TorchError.noSuchTensor`, or `.zip` when the storage record is corrupt.
    public func tensor(named name: String) throws -> Tensor {
        guard let r = records[name] else { throw TorchError.noSuchTensor(file: path, name: name) }
        let content: ZipMemberBytes
        do { content = try archive.contents(of: r.entry) } catch let e as ZipError { throw TorchError.zip(e) }
        let size = r.dtype.byteSize
        if r.contiguous && !(bigEndian && size > 1) {
            return try Tensor(dtype: r.dtype, shape: r.shape, storage: content.storage, offset: content.offset + r.storageOffset * size)
        }
        let copy = content.withUnsafeBytes {
            StridedGather.gather($0, elementSize: size, offset: r.storageOffset, size: r.shape, stride: r.stride,
                                 byteSwap: bigEndian && size > 1)
        }
        return try Tensor(dtype: r.dtype, shape: r.shape, storage: copy)
    }

    /// The stride (in elements) and storage offset the pickle gives the tensor called `name`.
    public func layout(named name: String) -> (stride: [Int], storageOffset: Int)? {
        records[name].map { ($0.stride, $0.storageOffset) }
    }

    // MARK: - Detection

    /// True when the file at `path` is a ZIP archive holding exactly one `<archive>/data.pkl` (a
    /// `torch.save` file, or a TorchScript archive, which the reader refuses with a clear message).
    /// - Parameter path: the file to look at (only its ZIP directory is read).
    public static func looksLikeTorchZip(path: String) -> Bool {
        guard let zip = try? ZipArchive(path: path) else { return false }
        return isTorchArchive(zip)
    }

    /// True when an opened ZIP archive holds a `<archive>/data.pkl` (a `torch.save` file or a TorchScript
    /// archive): the test `CheckpointOpener` makes on the archive it has parsed once.
    /// - Parameter zip: an opened archive.
    public static func isTorchArchive(_ zip: ZipArchive) -> Bool { !archiveNames(zip).isEmpty }

    /// True when `prefix` (a file's first 16 bytes or more) is the start of a legacy pre-1.6
    /// `torch.save` file: a pickle protocol byte followed by torch's magic number.
    /// - Parameter prefix: the first bytes of the file.
    public static func looksLikeLegacyTorch(prefix: [UInt8]) -> Bool {
        guard prefix.count >= 2 + legacyMagicNumber.count, prefix[0] == 0x80, (2...5).contains(prefix[1]) else { return false }
        return Array(prefix[2..<(2 + legacyMagicNumber.count)]) == legacyMagicNumber
    }

    /// The folder names `X` of the members named `X/data.pkl`.
    static func archiveNames(_ zip: ZipArchive) -> [String] {
        zip.entries.compactMap { e in
            let parts = e.name.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[1] == "data.pkl", !parts[0].isEmpty else { return nil }
            return String(parts[0])
        }
    }

    static func readByteOrder(_ zip: ZipArchive, name: String) throws -> Bool {
        guard let e = zip.entry(named: "\(name)/byteorder") else { return false }  // older writers: little-endian
        let bytes: [UInt8]
        do { bytes = try zip.prefix(of: e, count: 16) } catch let z as ZipError { throw TorchError.zip(z) }
        let text = String(decoding: bytes, as: UTF8.self)
        switch text {
        case "little": return false
        case "big": return true
        default: throw TorchError.badByteOrder(file: zip.path, found: text)
        }
    }

    static func torchError(_ e: PickleError, file: String) -> TorchError {
        switch e {
        case let .disallowedGlobal(m, n, _): return .disallowedGlobal(file: file, module: m, name: n)
        case let .disallowedCall(c, _): return .disallowedCall(file: file, callable: c)
        case let .disallowedBuild(t, _): return .disallowedBuild(file: file, target: t)
        default: return .pickle(file: file, error: e)
        }
    }
}
