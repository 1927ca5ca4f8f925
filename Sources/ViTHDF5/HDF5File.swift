internal import CHDF5
import ViTTensor
#if canImport(Glibc)
import Glibc
#endif

/// An HDF5 file opened read-only through libhdf5, seen as a flat map of tensors.
///
/// Opening walks every group recursively (depth-first, members in HDF5's alphabetical name order, as h5py's
/// `visititems`) and lists every dataset. A dataset's tensor name is its path without the leading `/` and
/// with `/` replaced by `.`, so dotted names at the root (`blocks.0.attn.qkv.weight`) and nested groups
/// (`blocks/0/attn/qkv/weight`) read as the same flat map. Soft and external links are listed in `links`
/// and not followed.
///
/// Isolation: libhdf5 parses the file in a separate, sandboxed reader process (`vit-hdf5-reader`, see
/// `HDF5Isolation` and docs/hdf5.md): a file that crashes or hangs libhdf5 becomes
/// `HDF5Error.readerCrashed` / `.readerStalled` naming the file instead of taking this process down.
/// Datasets stored contiguously as the tensor's own bytes are then read straight from the file by this
/// process (at the offset the reader found, checked against the file's size); others are decoded by the
/// reader into shared memory. `VITKIT_HDF5_IN_PROCESS=1` reads in-process instead (trusted files only).
///
/// Thread safety: an `HDF5File` can be shared between threads; requests to its reader (or, in-process,
/// every libhdf5 call, under one process-wide lock) take turns.
public final class HDF5File: TensorSource, @unchecked Sendable {
    public let path: String
    public var formatName: String { "hdf5" }
    /// Every readable dataset's tensor info, in walk order.
    public let tensorInfos: [TensorInfo]
    /// The root attributes rendered as text (see `HDF5Attribute.rendered`).
    public let metadata: [String: String]
    /// Every readable dataset with its path, in walk order.
    public let datasets: [HDF5Dataset]
    /// Datasets that are not tensors (strings, compound, untagged opaque, …), each with the error reading it gives.
    public let unreadableDatasets: [HDF5UnreadableDataset]
    /// Every group's absolute path, the root `/` first, in walk order.
    public let groups: [String]
    /// Soft, external and user-defined links (not followed).
    public let links: [HDF5Link]
    /// Bytes before the HDF5 signature (0, or a user block of 512, 1024, …).
    public let userBlockSize: Int

    private let backend: Backend
    private let byName: [String: Int]
    private let byPath: [String: Int]
    private let plans: [DatasetPlan]
    private let unreadableByName: [String: HDF5UnreadableDataset]
    private let unreadableByPath: [String: HDF5UnreadableDataset]

    /// Opens `path` read-only and lists its datasets, groups, links and root attributes.
    /// - Parameter path: the file.
    /// - Throws: `HDF5Error.fileNotFound`, `.notHDF5` (no signature), `.library` (libhdf5 refused the file,
    ///   e.g. corrupt or truncated), `.nameCollision`, `.linkCycle`, `.unsupportedAttribute` (a root attribute).
    public convenience init(path: String) throws(HDF5Error) {
        try self.init(path: path, reader: ReaderOptions())
    }

    /// Opens `path` with a given reader executable / watchdog (tests) — see `init(path:)`.
    init(path: String, reader: ReaderOptions) throws(HDF5Error) {
        self.path = path
        guard let offset = try HDF5File.signatureOffset(ofFileAt: path) else { throw .notHDF5(file: path) }
        userBlockSize = offset

        let walk: WalkResult, rootAttributes: [String: HDF5Attribute]
        if reader.inProcess {
            let file: HDF5ID
            (file, walk, rootAttributes) = try HDF5Library.run { () throws(HDF5Error) in
                let file = try HDF5ID(H5Fopen(path, vk_H5F_ACC_RDONLY(), vk_H5P_DEFAULT()), .file, file: path, "opening the file")
                try HDF5Library.setCloseOnExec(file.id, file: path)
                let walk = try HDF5Walker.walk(file: file.id, fileName: path)
                let root = try HDF5ID(H5Oopen(file.id, "/", vk_H5P_DEFAULT()), .object, file: path, "opening the root group")
                let attributes = try AttributeReader.readAll(of: root.id, path: "/", file: path)
                return (file, walk, attributes)
            }
            backend = .inProcess(file)
        } else {
            let (process, catalogue) = try HDF5ReaderProcess.start(file: path, options: reader)
            walk = catalogue.walk
            rootAttributes = catalogue.rootAttributes ?? [:]
            let readable = zip(walk.datasets, catalogue.entries).compactMap { d, entry -> (index: Int, offset: UInt64?)? in
                if case .success = d.plan { return entry }
                return nil
            }
            backend = .isolated(IsolatedFile(process: process, wireIndex: readable.map(\.index),
                                             direct: try DirectReader(path: path, offsets: readable.map(\.offset))))
        }
        groups = walk.groups
        links = walk.links

        var datasets: [HDF5Dataset] = []
        var plans: [DatasetPlan] = []
        var unreadable: [HDF5UnreadableDataset] = []
        var firstPath: [String: String] = [:]
        for d in walk.datasets {
            if let other = firstPath[d.name] { throw .nameCollision(file: path, name: d.name, paths: [other, d.path]) }
            firstPath[d.name] = d.path
            switch d.plan {
            case let .success(plan):
                datasets.append(HDF5Dataset(path: d.path, info: TensorInfo(name: d.name, dtype: plan.dtype, shape: d.shape)))
                plans.append(plan)
            case let .failure(error):
                unreadable.append(HDF5UnreadableDataset(path: d.path, name: d.name, error: error))
            }
        }
        self.datasets = datasets
        self.plans = plans
        tensorInfos = datasets.map(\.info)
        unreadableDatasets = unreadable
        byName = Dictionary(uniqueKeysWithValues: datasets.enumerated().map { ($1.info.name, $0) })
        byPath = Dictionary(uniqueKeysWithValues: datasets.enumerated().map { ($1.path, $0) })
        unreadableByName = Dictionary(uniqueKeysWithValues: unreadable.map { ($0.name, $0) })
        unreadableByPath = Dictionary(uniqueKeysWithValues: unreadable.map { ($0.path, $0) })
        metadata = rootAttributes.mapValues(\.rendered)
    }

    /// The isolated reader's process id while it runs (nil in-process or once it was stopped; for tests).
    var readerProcessID: pid_t? { backend.isolated?.process.processID }

    /// `a/b`, `/a/b`, `//a//b/` → `/a/b`; the root is `/`.
    static func normalize(_ path: String) -> String {
        "/" + path.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }

    /// Reads the tensor with this flattened name (e.g. `blocks.0.attn.qkv.weight`) into a little-endian tensor.
    ///
    /// Floats keep their width (F16, F32, F64; big-endian data is converted by libhdf5), integers become the
    /// matching integer dtype, h5py bools become BOOL, and bfloat16 (2-byte OPAQUE or uint16 tagged
    /// `dtype='bfloat16'`) becomes BF16. Chunked and gzip/shuffle-filtered data is decoded by libhdf5.
    /// - Parameter name: the flattened tensor name.
    /// - Throws: `HDF5Error.datasetNotFound`, the dataset's error when it is not a tensor (`.unsupportedType`,
    ///   `.unknownOpaque`, …), `.tooLarge`, `.invalidBool`, `.library`.
    public func tensor(named name: String) throws(HDF5Error) -> Tensor {
        if let i = byName[name] { return try read(i) }
        if let u = unreadableByName[name] { throw u.error }
        throw .datasetNotFound(file: path, name: name)
    }

    /// Reads the dataset at an object path (`/blocks/0/attn/qkv/weight`; the leading `/` is optional).
    /// - Parameter objectPath: the dataset's path.
    /// - Throws: as `tensor(named:)`.
    public func tensor(atPath objectPath: String) throws(HDF5Error) -> Tensor {
        let p = HDF5File.normalize(objectPath)
        if let i = byPath[p] { return try read(i) }
        if let u = unreadableByPath[p] { throw u.error }
        throw .datasetNotFound(file: path, name: p)
    }

    /// The bytes of a dataset stored contiguously as the tensor's own little-endian bytes, read straight from
    /// the file at the offset the isolated reader reported (see `StoredBytes`); nil in-process, for datasets
    /// libhdf5 must decode (chunked, filtered, big-endian, …), for BOOL (whose values are checked on reading)
    /// and for datasets over the in-memory size limit (which `tensor(named:)` refuses).
    /// - Parameter name: the flattened tensor name.
    /// - Throws: as `tensor(named:)` for a name that is not a readable dataset.
    public func storedBytes(named name: String) throws(HDF5Error) -> StoredBytes? {
        guard let i = byName[name] else {
            if let u = unreadableByName[name] { throw u.error }
            throw .datasetNotFound(file: path, name: name)
        }
        let info = datasets[i].info
        guard plans[i].dtype != .bool, info.byteCount <= HDF5Memory.limit, let isolated = backend.isolated,
              let region = isolated.direct.region(i, byteCount: info.byteCount) else { return nil }
        let direct = isolated.direct, file = path, dataset = datasets[i].path
        return StoredBytes(info: info) { offset, destination in
            try direct.read(DirectReader.Region(offset: region.offset + offset, count: destination.count),
                            into: destination.baseAddress, file: file, dataset: dataset)
        }
    }

    /// Every element of the tensor `name` as Float32 (F32 data is read straight into the array).
    /// - Parameter name: the flattened tensor name.
    /// - Throws: as `tensor(named:)`.
    public func readFloat32(named name: String) throws(HDF5Error) -> [Float] {
        guard let i = byName[name], plans[i].dtype == .f32 else { return try tensor(named: name).floats() }
        let info = datasets[i].info
        let datasetPath = datasets[i].path
        guard info.byteCount <= HDF5Memory.limit else { throw tooLarge(i) }
        let count = info.elementCount
        guard case let .inProcess(file) = backend else {
            let isolated = backend.isolated!
            if let region = isolated.direct.region(i, byteCount: count * 4) {
                return try Self.floats(count) { (p) throws(HDF5Error) in
                    try isolated.direct.read(region, into: p, file: path, dataset: datasetPath)
                }
            }
            return try tensor(named: name).floats()
        }
        return try HDF5Library.run { () throws(HDF5Error) -> [Float] in
            try Self.floats(count) { (p) throws(HDF5Error) in
                try readRaw(file, datasetPath, plan: plans[i], into: p, byteCount: count * 4)
            }
        }
    }

    /// `count` floats that `fill` writes straight into the array's storage (no zeroing, no second copy).
    private static func floats(_ count: Int, _ fill: (UnsafeMutableRawPointer?) throws(HDF5Error) -> Void) throws(HDF5Error) -> [Float] {
        var result: Result<Void, HDF5Error> = .success(())
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(HDF5Error) {
                try fill(UnsafeMutableRawPointer(buffer.baseAddress))
                initialized = count
            } catch {
                result = .failure(error)
                initialized = 0
            }
        }
        try result.get()
        return values
    }

    /// The attributes of the root (`/`), a group or a dataset.
    /// - Parameter objectPath: the object's path (leading `/` optional).
    /// - Throws: `HDF5Error.objectNotFound`, `.unsupportedAttribute`, `.library`.
    public func attributes(of objectPath: String) throws(HDF5Error) -> [String: HDF5Attribute] {
        let p = HDF5File.normalize(objectPath)
        guard groups.contains(p) || byPath[p] != nil || unreadableByPath[p] != nil else {
            throw .objectNotFound(file: path, path: p)
        }
        switch backend {
        case let .inProcess(file):
            return try HDF5Library.run { () throws(HDF5Error) in
                let object = try HDF5ID(H5Oopen(file.id, p, vk_H5P_DEFAULT()), .object, file: path, "opening '\(p)'")
                return try AttributeReader.readAll(of: object.id, path: p, file: path)
            }
        case let .isolated(isolated):
            return try isolated.process.exchange { () throws(HDF5Error) in try isolated.process.attributes(of: p) }
        }
    }

    /// A list of strings stored as Keras stores `layer_names` / `weight_names`: the attribute `name` itself,
    /// or, when Keras had to split a long list, `name0`, `name1`, … concatenated.
    /// - Parameters:
    ///   - name: the attribute's name, e.g. `weight_names`.
    ///   - objectPath: the group or dataset carrying it.
    /// - Returns: the strings, or nil when neither form exists.
    /// - Throws: `HDF5Error.objectNotFound`, `.unsupportedAttribute` (the attribute holds numbers), `.library`.
    public func stringList(_ name: String, of objectPath: String) throws(HDF5Error) -> [String]? {
        let all = try attributes(of: objectPath)
        let p = HDF5File.normalize(objectPath)
        func strings(_ key: String, _ value: HDF5Attribute) throws(HDF5Error) -> [String] {
            guard let list = value.stringList else {
                throw .unsupportedAttribute(file: path, object: p, attribute: key, detail: "holds numbers, not strings")
            }
            return list
        }
        if let whole = all[name] { return try strings(name, whole) }
        var out: [String] = []
        var chunk = 0
        while let part = all["\(name)\(chunk)"] {
            out += try strings("\(name)\(chunk)", part)
            chunk += 1
        }
        return chunk == 0 ? nil : out
    }

    private func tooLarge(_ i: Int) -> HDF5Error {
        .tooLarge(file: path, dataset: datasets[i].path, shape: datasets[i].info.shape.map { UInt64($0) },
                  elementSize: datasets[i].info.dtype.byteSize)
    }

    /// Reads dataset `i` into a new heap storage (straight from libhdf5 into the tensor's bytes).
    private func read(_ i: Int) throws(HDF5Error) -> Tensor {
        let info = datasets[i].info
        let datasetPath = datasets[i].path
        let plan = plans[i]
        guard info.byteCount <= HDF5Memory.limit else { throw tooLarge(i) }
        let storage: ByteStorage
        switch backend {
        case let .inProcess(file):
            storage = try HDF5Library.run { () throws(HDF5Error) -> ByteStorage in
                do {
                    return try ByteStorage(count: info.byteCount) { buffer in
                        try readRaw(file, datasetPath, plan: plan, into: buffer.baseAddress, byteCount: buffer.count)
                    }
                } catch let e as HDF5Error {
                    throw e
                } catch {
                    throw .io(file: path, operation: "reading dataset '\(datasetPath)'", message: "\(error)")
                }
            }
        case let .isolated(isolated):
            if let region = isolated.direct.region(i, byteCount: info.byteCount) {
                do {
                    storage = try ByteStorage(count: info.byteCount) { buffer in
                        try isolated.direct.read(region, into: buffer.baseAddress, file: path, dataset: datasetPath)
                    }
                } catch let e as HDF5Error {
                    throw e
                } catch {
                    throw .io(file: path, operation: "reading dataset '\(datasetPath)'", message: "\(error)")
                }
            } else {
                storage = try isolated.process.exchange { () throws(HDF5Error) in
                    try isolated.process.read(dataset: isolated.wireIndex[i], path: datasetPath, byteCount: info.byteCount)
                }
            }
        }
        if plan.dtype == .bool, let bad = storage.bytes.first(where: { $0 > 1 }) {
            throw .invalidBool(file: path, dataset: datasetPath, value: bad)
        }
        do {
            return try Tensor(dtype: info.dtype, shape: info.shape, storage: storage)
        } catch {
            throw tooLarge(i)  // unreachable: the size was checked when the file was opened
        }
    }

    /// H5Dread of the whole dataset into `destination`. The caller holds the lock.
    private func readRaw(_ file: HDF5ID, _ datasetPath: String, plan: DatasetPlan, into destination: UnsafeMutableRawPointer?,
                         byteCount: Int) throws(HDF5Error) {
        guard byteCount > 0, let destination else { return }
        let dataset = try HDF5ID(H5Dopen2(file.id, datasetPath, vk_H5P_DEFAULT()), .dataset, file: path,
                                 "opening dataset '\(datasetPath)'")
        let memoryType: hid_t
        var stored: HDF5ID?
        switch plan.memory {
        case let .standard(dtype):
            memoryType = try HDF5Types.littleEndianType(dtype, file: path, tensor: datasetPath)
        case .stored:
            let t = try HDF5ID(H5Dget_type(dataset.id), .datatype, file: path, "reading the type of dataset '\(datasetPath)'")
            stored = t
            memoryType = t.id
        }
        defer { withExtendedLifetime(stored) {} }
        try HDF5Library.check(H5Dread(dataset.id, memoryType, vk_H5S_ALL(), vk_H5S_ALL(), vk_H5P_DEFAULT(), destination),
                              file: path, "reading dataset '\(datasetPath)'")
    }
}

/// Where an `HDF5File` reads from.
private enum Backend {
    /// libhdf5 in this process (`VITKIT_HDF5_IN_PROCESS=1`).
    case inProcess(HDF5ID)
    /// The isolated reader, and this process's own descriptor for the datasets it can read directly.
    case isolated(IsolatedFile)

    var isolated: IsolatedFile? {
        if case let .isolated(f) = self { return f }
        return nil
    }
}

private struct IsolatedFile {
    let process: HDF5ReaderProcess
    /// By readable-dataset index: the reader's own index of it.
    let wireIndex: [Int]
    let direct: DirectReader
}
