import Foundation
import Testing
import ViTTensor
@testable import ViTSafetensors

/// A temporary folder with shards written by our writer and an index written by hand.
struct ShardedFolder {
    let path: String

    /// `shards`: file name → tensor names (each a U8 tensor of one byte); `map`: the index's weight_map.
    init(shards: [String: [String]], map: [String: String], extraIndex: String = "", files: [String: [UInt8]] = [:]) throws {
        path = try temporaryFolder()
        for (file, names) in shards {
            try SafetensorsWriter.write(tensors: try names.map { ($0, try Tensor(dtype: .u8, shape: [1], bytes: [7])) },
                                        metadata: ["format": "pt"], to: path + "/" + file)
        }
        let entries = map.keys.sorted().map { "\"\($0)\": \"\(map[$0]!)\"" }.joined(separator: ", ")
        try write("model.safetensors.index.json", Array("{\"metadata\": {\"total_size\": 3}\(extraIndex), \"weight_map\": {\(entries)}}".utf8))
        for (name, bytes) in files { try write(name, bytes) }
    }

    func write(_ name: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: path + "/" + name)) }
    var index: String { path + "/model.safetensors.index.json" }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

@Suite("sharded safetensors checkpoints and folders")
struct CheckpointTests {
    static let a = "a.safetensors", b = "b.safetensors"

    @Test("a consistent hand-made sharded folder opens with tensors in shard then offset order")
    func consistent() throws {
        let f = try ShardedFolder(shards: [Self.a: ["x", "y"], Self.b: ["z"]], map: ["x": Self.a, "y": Self.a, "z": Self.b])
        defer { f.remove() }
        let c = try SafetensorsCheckpoint(path: f.path)
        #expect(c.tensorNames == ["x", "y", "z"])
        #expect(c.shardCount == 2)
        #expect(c.metadata == ["format": "pt", "total_size": "3"])
        #expect(c.index?.metadata == ["total_size": "3"])
        #expect(c.configJSON == nil)
        #expect(try c.tensor(named: "z").bytes == [7])
    }

    @Test("a tensor in a shard but not in weight_map is tensorNotInIndex")
    func notInIndex() throws {
        let f = try ShardedFolder(shards: [Self.a: ["x", "stray"]], map: ["x": Self.a])
        defer { f.remove() }
        #expect(throws: SafetensorsError.tensorNotInIndex(file: f.index, tensor: "stray", shard: Self.a)) { try SafetensorsCheckpoint(path: f.path) }
    }

    @Test("a tensor in another shard than weight_map says is tensorInWrongShard")
    func wrongShard() throws {
        let f = try ShardedFolder(shards: [Self.a: ["x"], Self.b: ["y"]], map: ["x": Self.b, "y": Self.a])
        defer { f.remove() }
        #expect(throws: SafetensorsError.tensorInWrongShard(file: f.index, tensor: "x", expectedShard: Self.b, foundShard: Self.a)) {
            try SafetensorsCheckpoint(path: f.path)
        }
    }

    @Test("a tensor held by two shards is tensorInWrongShard for the one the map does not name")
    func inTwoShards() throws {
        // Both shards are in the map (through y), and b holds x as well.
        let f = try ShardedFolder(shards: [Self.a: ["x"], Self.b: ["x", "y"]], map: ["x": Self.a, "y": Self.b])
        defer { f.remove() }
        #expect(throws: SafetensorsError.tensorInWrongShard(file: f.index, tensor: "x", expectedShard: Self.a, foundShard: Self.b)) {
            try SafetensorsCheckpoint(path: f.index)
        }
    }

    @Test("a tensor in weight_map but absent from its shard is tensorMissingFromShard")
    func missingFromShard() throws {
        let f = try ShardedFolder(shards: [Self.a: ["x"]], map: ["x": Self.a, "ghost": Self.a])
        defer { f.remove() }
        #expect(throws: SafetensorsError.tensorMissingFromShard(file: f.index, tensor: "ghost", shard: Self.a)) {
            try SafetensorsCheckpoint(path: f.index)
        }
    }

    @Test("a shard file named in the index but absent is an io error naming the shard")
    func missingShardFile() throws {
        let f = try ShardedFolder(shards: [Self.a: ["x"]], map: ["x": Self.a, "y": Self.b])
        defer { f.remove() }
        #expect(throws: SafetensorsError.io(file: f.path + "/" + Self.b, message: "cannot open: No such file or directory")) {
            try SafetensorsCheckpoint(path: f.index)
        }
    }

    @Test("an invalid shard inside a sharded checkpoint reports the shard's own rule violation")
    func invalidShard() throws {
        let f = try ShardedFolder(shards: [Self.a: ["x"]], map: ["x": Self.a, "y": Self.b], files: [Self.b: [1, 2, 3]])
        defer { f.remove() }
        #expect(throws: SafetensorsError.headerTooSmall(file: f.path + "/" + Self.b, fileSize: 3)) { try SafetensorsCheckpoint(path: f.index) }
    }

    static let badIndexes: [(String, String, String)] = [
        ("[]", "a JSON object {\"metadata\": …, \"weight_map\": …}", "an array"),
        ("{\"metadata\": {}}", "a `weight_map` object", "none"),
        ("{\"weight_map\": []}", "`weight_map` to be an object {tensor: shard file}", "an array"),
        ("{\"weight_map\": {\"x\": 3}}", "a shard file name for each tensor in `weight_map`", "`x` mapped to integer `3`"),
        ("{\"weight_map\": {\"x\": \"../a.safetensors\"}}", "a file name in the index's folder for each shard", "`x` mapped to \"../a.safetensors\""),
        ("{\"weight_map\": {\"x\": \"/etc/passwd\"}}", "a file name in the index's folder for each shard", "`x` mapped to \"/etc/passwd\""),
        ("{\"weight_map\": {\"x\": \"a\", \"x\": \"a\"}}", "each tensor once in `weight_map`", "`x` more than once"),
        ("{\"weight_map\": {}, \"weight_map\": {}}", "one `weight_map`", "more than one"),
        ("{\"metadata\": [], \"weight_map\": {}}", "`metadata` to be an object", "an array"),
        ("{\"metadata\": {\"k\": 1, \"k\": 2}, \"weight_map\": {}}", "each key once in `metadata`", "`k` more than once"),
    ]

    @Test("a malformed index is invalidIndex saying what was expected", arguments: badIndexes)
    func badIndex(json: String, expected: String, found: String) throws {
        let path = try writeTemporary(Array(json.utf8), suffix: ".safetensors.index.json")
        defer { unlink(path) }
        #expect(throws: SafetensorsError.invalidIndex(file: path, expected: expected, found: found)) { try SafetensorsCheckpoint(path: path) }
    }

    @Test("an index that is not JSON is invalidJSON naming the index")
    func indexNotJSON() throws {
        let path = try writeTemporary(Array("{\"weight_map\": {}".utf8), suffix: ".safetensors.index.json")
        defer { unlink(path) }
        #expect(throws: SafetensorsError.invalidJSON(file: path, offset: 17, expected: "',' or '}'", found: "the end of the JSON text")) {
            try SafetensorsIndex(path: path)
        }
    }

    @Test("index metadata keeps strings as they are and other values as their JSON text; unknown keys are ignored")
    func indexMetadata() throws {
        let json = "{\"extra\": [1, {\"a\": null}], \"metadata\": {\"total_size\": 30656, \"s\": \"x\", \"nested\": {\"a\": [1, 2]}, \"f\": 1.5e3},"
            + " \"weight_map\": {\"x\": \"m.safetensors\"}}"
        let index = try Array(json.utf8).withUnsafeBytes { try SafetensorsIndex.parse(bytes: $0, path: "i.json") }
        #expect(index.metadata == ["total_size": "30656", "s": "x", "nested": "{\"a\": [1, 2]}", "f": "1.5e3"])
        #expect(index.weightMap == ["x": "m.safetensors"])
        #expect(index.shardFiles == ["m.safetensors"])
    }

    @Test("an index with metadata null is accepted")
    func indexMetadataNull() throws {
        let index = try Array("{\"metadata\": null, \"weight_map\": {}}".utf8).withUnsafeBytes { try SafetensorsIndex.parse(bytes: $0, path: "i.json") }
        #expect(index.metadata.isEmpty)
        #expect(index.shardFiles.isEmpty)
    }

    @Test("opened by its index path, a checkpoint ignores .safetensors files the index does not name")
    func indexIgnoresStrays() throws {
        let f = try ShardedFolder(shards: [Self.a: ["x"], "other.safetensors": ["q"]], map: ["x": Self.a])
        defer { f.remove() }
        let c = try SafetensorsCheckpoint(path: f.index)
        #expect(c.tensorNames == ["x"])
        #expect(c.shardCount == 1)
    }

    // MARK: folders

    @Test("an empty folder is noCheckpoint")
    func emptyFolder() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("{}".utf8).write(to: URL(fileURLWithPath: folder + "/config.json"))
        #expect(throws: SafetensorsError.noCheckpoint(folder: folder)) { try SafetensorsCheckpoint(path: folder) }
    }

    @Test("a folder with two .safetensors files and no index is ambiguousCheckpoint listing both")
    func twoFiles() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for n in ["model.safetensors", "ema.safetensors"] { try SafetensorsWriter.write(tensors: [], to: folder + "/" + n) }
        #expect(throws: SafetensorsError.ambiguousCheckpoint(folder: folder, candidates: ["ema.safetensors", "model.safetensors"])) {
            try SafetensorsCheckpoint(path: folder)
        }
    }

    @Test("a folder with an index and a .safetensors file outside it is ambiguousCheckpoint")
    func indexAndStray() throws {
        let f = try ShardedFolder(shards: [Self.a: ["x"], "model.safetensors": ["x"]], map: ["x": Self.a])
        defer { f.remove() }
        #expect(throws: SafetensorsError.ambiguousCheckpoint(folder: f.path, candidates: ["model.safetensors.index.json", "model.safetensors"])) {
            try SafetensorsCheckpoint(path: f.path)
        }
    }

    @Test("a folder with two index files is ambiguousCheckpoint")
    func twoIndexes() throws {
        let f = try ShardedFolder(shards: [Self.a: ["x"]], map: ["x": Self.a])
        defer { f.remove() }
        try f.write("other.safetensors.index.json", Array("{\"weight_map\": {}}".utf8))
        #expect(throws: SafetensorsError.ambiguousCheckpoint(folder: f.path, candidates: ["model.safetensors.index.json", "other.safetensors.index.json"])) {
            try SafetensorsCheckpoint(path: f.path)
        }
    }

    @Test("a folder with one .safetensors file of any name opens it, leaving the config.json beside it alone")
    func singleFileFolder() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try SafetensorsWriter.write(tensors: [("w", try Tensor(shape: [1], float32: [4]))], to: folder + "/weights.safetensors")
        let config = "{\"model_type\": \"vit\", \"note\": \"é\"}"
        try Data(config.utf8).write(to: URL(fileURLWithPath: folder + "/config.json"))
        let c = try SafetensorsCheckpoint(path: folder)
        #expect(c.tensorNames == ["w"])
        // The reader knows no config.json (ViTFormats' opener attaches it: CLITests/FormatDetectionTests).
        #expect(c.configJSON == nil)
        #expect(c.shards.first?.path == folder + "/weights.safetensors")
        #expect(c.files == [folder, folder + "/weights.safetensors"])
    }

    @Test("a missing path is an io error and an absent tensor is tensorNotFound naming the checkpoint")
    func missingPathAndTensor() throws {
        let missing = temporaryPath()
        #expect(throws: SafetensorsError.io(file: missing, message: "cannot open: No such file or directory")) { try SafetensorsCheckpoint(path: missing) }
        let f = try ShardedFolder(shards: [Self.a: ["x"]], map: ["x": Self.a])
        defer { f.remove() }
        let c = try SafetensorsCheckpoint(path: f.path)
        #expect(throws: SafetensorsError.tensorNotFound(file: f.path, tensor: "nope")) { try c.tensor(named: "nope") }
        #expect(c.shard(holding: "nope") == nil)
    }

    @Test("hidden files such as an abandoned writer's temporary file do not make a folder ambiguous")
    func hiddenFilesIgnored() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try SafetensorsWriter.write(tensors: [], to: folder + "/model.safetensors")
        try Data([1]).write(to: URL(fileURLWithPath: folder + "/.model.safetensors.tmp-abc123.safetensors"))
        #expect(try SafetensorsCheckpoint(path: folder).shardCount == 1)
    }
}
