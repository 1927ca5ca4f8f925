import ViTTensor

/// A safetensors checkpoint: one file, a sharded checkpoint behind an `*.safetensors.index.json`, or a folder
/// holding either (such as a Hugging Face `save_pretrained` folder).
///
/// Every shard is opened (memory-mapped) and validated up front, and the index must agree with the shards
/// exactly: each tensor in the shard the `weight_map` names, no tensor in a shard but absent from the map,
/// none in the map but absent from its shard. (A `config.json` beside the weights is model knowledge: ViTFormats'
/// `CheckpointOpener` reads it.)
public final class SafetensorsCheckpoint: TensorSource {
    /// The path it was opened from (file, index or folder).
    public let path: String
    /// The shard files in name order (one for a single-file checkpoint).
    public let shards: [SafetensorsFile]
    /// The index, for a sharded checkpoint.
    public let index: SafetensorsIndex?
    /// Every tensor: shards in name order, each in data-offset order.
    public let tensorInfos: [TensorInfo]
    /// The shards' `__metadata__` (the first shard's value wins where shards differ), plus the index's
    /// `metadata` entries under keys the shards do not use (e.g. `total_size`).
    public let metadata: [String: String]
    private let shardOfTensor: [String: Int]

    /// Always `safetensors` (see `shardCount` for sharding).
    public var formatName: String { "safetensors" }
    /// Number of shard files (1 for a single file).
    public var shardCount: Int { shards.count }
    /// True for a checkpoint behind an index file.
    public var isSharded: Bool { index != nil }

    /// Opens a `.safetensors` file, an `*.safetensors.index.json`, or a folder holding one of them.
    ///
    /// A folder must hold exactly one candidate: one `*.safetensors.index.json` (whose shards may sit beside
    /// it, but no other `.safetensors` file), or else exactly one `*.safetensors` file. A file is an index when
    /// its name ends in `.index.json`; `CheckpointOpener` (ViTFormats) decides by content instead.
    /// - Parameter path: file, index or folder.
    /// - Throws: `SafetensorsError`: `.io` for a missing path, `.noCheckpoint`/`.ambiguousCheckpoint` for a
    ///   folder, the reader's cases for any shard, `.invalidIndex`, `.tensorNotInIndex`,
    ///   `.tensorInWrongShard`, `.tensorMissingFromShard` for an index.
    public convenience init(path: String) throws {
        switch FileSystem.kind(path) {
        case .missing: throw SafetensorsError.io(file: path, message: "cannot open: No such file or directory")
        case .directory:
            switch try SafetensorsCheckpoint.resolve(folder: path) {
            case let .index(index): try self.init(path: path, index: index)
            case let .file(file): try self.init(path: path, file: SafetensorsFile(path: file))
            }
        case .file, .other:
            if path.hasSuffix(".index.json") {
                try self.init(path: path, index: SafetensorsIndex(path: path))
            } else {
                try self.init(path: path, file: SafetensorsFile(path: path))
            }
        }
    }

    /// A single-file checkpoint.
    /// - Parameters:
    ///   - path: the path it was opened from (the file, or the folder holding it).
    ///   - file: the opened file.
    public init(path: String, file: SafetensorsFile) {
        self.path = path
        self.index = nil
        self.shards = [file]
        self.shardOfTensor = Dictionary(uniqueKeysWithValues: file.tensorInfos.map { ($0.name, 0) })
        self.metadata = file.metadata
        self.tensorInfos = file.tensorInfos
    }

    /// A sharded checkpoint: opens every shard the parsed index names (beside the index) and checks that the
    /// index and the shards agree exactly.
    /// - Parameters:
    ///   - path: the path it was opened from (the index, or the folder holding it).
    ///   - index: the parsed index (whatever its file is called).
    /// - Throws: the reader's cases for any shard, `.tensorNotInIndex`, `.tensorInWrongShard`, `.tensorMissingFromShard`.
    public init(path: String, index: SafetensorsIndex) throws {
        let folder = FileSystem.folder(of: index.path)
        let shards = try index.shardFiles.map { try SafetensorsFile(path: FileSystem.join(folder, $0)) }
        var shardOfTensor: [String: Int] = [:]
        for (i, shard) in shards.enumerated() {
            let name = index.shardFiles[i]
            for info in shard.tensorInfos {
                guard let mapped = index.weightMap[info.name] else {
                    throw SafetensorsError.tensorNotInIndex(file: index.path, tensor: info.name, shard: name)
                }
                guard mapped == name else {
                    throw SafetensorsError.tensorInWrongShard(file: index.path, tensor: info.name, expectedShard: mapped, foundShard: name)
                }
                shardOfTensor[info.name] = i
            }
        }
        for tensor in index.weightMap.keys.sorted() where shardOfTensor[tensor] == nil {
            throw SafetensorsError.tensorMissingFromShard(file: index.path, tensor: tensor, shard: index.weightMap[tensor] ?? "")
        }
        var metadata: [String: String] = [:]
        for shard in shards.reversed() { metadata.merge(shard.metadata) { _, first in first } }
        metadata.merge(index.metadata) { shardValue, _ in shardValue }
        self.path = path
        self.index = index
        self.shards = shards
        self.shardOfTensor = shardOfTensor
        self.metadata = metadata
        self.tensorInfos = shards.flatMap(\.tensorInfos)
    }

    /// Every file the checkpoint reads: the path it was opened from, each shard, the index.
    public var files: [String] { [path] + shards.map(\.path) + (index.map { [$0.path] } ?? []) }

    /// The tensor's bytes as a view into its shard's mapping (no copy).
    /// - Parameter name: the tensor's name.
    /// - Throws: `SafetensorsError.tensorNotFound` naming the path the checkpoint was opened from.
    public func tensor(named name: String) throws -> Tensor {
        guard let i = shardOfTensor[name] else { throw SafetensorsError.tensorNotFound(file: path, tensor: name) }
        return try shards[i].tensor(named: name)
    }

    /// The tensor's bytes, read straight from its shard (see `SafetensorsFile.storedBytes(named:)`).
    /// - Throws: `SafetensorsError.tensorNotFound` naming the path the checkpoint was opened from.
    public func storedBytes(named name: String) throws -> StoredBytes? {
        guard let i = shardOfTensor[name] else { throw SafetensorsError.tensorNotFound(file: path, tensor: name) }
        return try shards[i].storedBytes(named: name)
    }

    /// The shard file holding `name`, if any.
    public func shard(holding name: String) -> SafetensorsFile? { shardOfTensor[name].map { shards[$0] } }

    /// What a folder holds: a parsed index, or the path of its one `.safetensors` file.
    public enum FolderContent: Sendable {
        /// An `*.safetensors.index.json`, parsed.
        case index(SafetensorsIndex)
        /// The one `.safetensors` file.
        case file(String)
    }

    /// The one checkpoint (index or `.safetensors` file) in `folder`; an index is parsed here, once.
    /// - Throws: `SafetensorsError.noCheckpoint`, `.ambiguousCheckpoint`, the index's parse errors.
    public static func resolve(folder: String) throws -> FolderContent {
        let names = try FileSystem.list(folder)
        let indexes = names.filter { $0.hasSuffix(".safetensors.index.json") }
        let files = names.filter { $0.hasSuffix(".safetensors") && FileSystem.kind(FileSystem.join(folder, $0)) == .file }
        if indexes.count > 1 { throw SafetensorsError.ambiguousCheckpoint(folder: folder, candidates: indexes) }
        if let only = indexes.first {
            let index = try SafetensorsIndex(path: FileSystem.join(folder, only))
            let shards = Set(index.shardFiles)
            let strays = files.filter { !shards.contains($0) }
            guard strays.isEmpty else { throw SafetensorsError.ambiguousCheckpoint(folder: folder, candidates: [only] + strays) }
            return .index(index)
        }
        guard !files.isEmpty else { throw SafetensorsError.noCheckpoint(folder: folder) }
        guard files.count == 1 else { throw SafetensorsError.ambiguousCheckpoint(folder: folder, candidates: files) }
        return .file(FileSystem.join(folder, files[0]))
    }
}
