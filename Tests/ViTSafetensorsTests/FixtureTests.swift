import Foundation
import Testing
import ViTTensor
@testable import ViTSafetensors

struct ExpectedTensor: Decodable {
    let dtype: String
    let shape: [Int]
    let hex: String
    let f32_bits: String?
}

struct ExpectedFile: Decodable {
    let metadata: [String: String]
    let tensors: [String: ExpectedTensor]
}

func loadExpectedFiles() throws -> [String: ExpectedFile] {
    try JSONDecoder().decode([String: ExpectedFile].self, from: Data(contentsOf: safetensorsFixtures.appendingPathComponent("expected.json")))
}

/// Hex of the float32 bit patterns of `t` converted by ViTKit.
func float32BitsHex(_ t: Tensor) -> String {
    hex(t.floats().flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } })
}

/// Checks every tensor of `source` against `expected`, bit for bit.
func expectMatches(_ source: any TensorSource, _ expected: ExpectedFile, names: Set<String>? = nil) throws {
    #expect(Set(source.tensorNames) == (names ?? Set(expected.tensors.keys)))
    for (name, want) in expected.tensors {
        let t = try source.tensor(named: name)
        #expect(t.dtype.rawValue == want.dtype, "\(name)")
        #expect(t.shape == want.shape, "\(name)")
        #expect(hex(t.bytes) == want.hex, "\(name)")
        if let bits = want.f32_bits { #expect(float32BitsHex(t) == bits, "\(name): float32 values differ from torch's") }
    }
}

@Suite("safetensors files written by Python")
struct FixtureTests {
    @Test("each file written by safetensors.torch.save_file reads back with torch's bytes, values, shapes and metadata",
          arguments: ["f32.safetensors", "f16.safetensors", "bf16.safetensors", "zero_size.safetensors", "all_dtypes.safetensors"])
    func pythonFile(name: String) throws {
        let expected = try #require(try loadExpectedFiles()[name])
        let file = try SafetensorsFile(path: safetensorsFixtures.appendingPathComponent(name).path)
        #expect(file.metadata == expected.metadata)
        try expectMatches(file, expected)
        // The reference writer pads the header to 8 bytes and orders tensors by dtype size, then name.
        #expect(file.header.headerLength % 8 == 0)
        #expect(file.tensorInfos == SafetensorsWriter.alignedOrder(file.tensorInfos))
    }

    @Test("the reference writer's bytes are reproduced exactly by ViTKit's writer for every Python fixture",
          arguments: ["f32.safetensors", "f16.safetensors", "bf16.safetensors", "zero_size.safetensors", "all_dtypes.safetensors"])
    func rewriteIsIdentical(name: String) throws {
        let path = safetensorsFixtures.appendingPathComponent(name).path
        let file = try SafetensorsFile(path: path)
        let out = temporaryPath()
        defer { unlink(out) }
        try SafetensorsWriter.write(tensors: try file.tensorNames.map { ($0, try file.tensor(named: $0)) }, metadata: file.metadata, to: out)
        #expect(try fileBytes(out) == fileBytes(path))
    }

    @Test("all dtypes: every supported dtype is present in the Python file")
    func allDTypesCovered() throws {
        let file = try SafetensorsFile(path: safetensorsFixtures.appendingPathComponent("all_dtypes.safetensors").path)
        #expect(Set(file.tensorInfos.map(\.dtype)) == Set(DType.allCases))
    }

    static let shardFolder = safetensorsFixtures.appendingPathComponent("vit_sharded").path

    @Test("a transformers save_pretrained folder with 4 shards opens as one checkpoint with every tensor bit-exact")
    func shardedFolder() throws {
        let ckpt = try SafetensorsCheckpoint(path: Self.shardFolder)
        #expect(ckpt.formatName == "safetensors")
        #expect(ckpt.shardCount == 4)
        #expect(ckpt.isSharded)
        #expect(ckpt.tensorInfos.count == 38)  // len(weight_map) in the index
        #expect(ckpt.metadata == ["format": "pt", "total_size": "30656", "total_parameters": "7664"])
        #expect(ckpt.index?.shardFiles == (1...4).map { "model-0000\($0)-of-00004.safetensors" })
        let all = try loadExpectedFiles()
        var names = Set<String>()
        for shard in ckpt.index?.shardFiles ?? [] {
            let expected = try #require(all["vit_sharded/" + shard])
            names.formUnion(expected.tensors.keys)
            for (name, want) in expected.tensors {
                let t = try ckpt.tensor(named: name)
                #expect(t.isMapped)
                #expect(hex(t.bytes) == want.hex, "\(name)")
                #expect(ckpt.shard(holding: name)?.path.hasSuffix(shard) == true)
            }
        }
        #expect(Set(ckpt.tensorNames) == names)
        #expect(ckpt.tensorInfos.map(\.byteCount).reduce(0, +) == 30656)
    }

    @Test("the same checkpoint opened by its index path equals the folder's")
    func shardedIndexPath() throws {
        let a = try SafetensorsCheckpoint(path: Self.shardFolder + "/model.safetensors.index.json")
        let b = try SafetensorsCheckpoint(path: Self.shardFolder)
        #expect(a.tensorInfos == b.tensorInfos)
        #expect(a.path.hasSuffix("index.json"))
        for name in a.tensorNames { #expect(try a.tensor(named: name) == b.tensor(named: name)) }
    }

    @Test("a single Python file opens as a one-shard checkpoint")
    func singleFileCheckpoint() throws {
        let ckpt = try SafetensorsCheckpoint(path: safetensorsFixtures.appendingPathComponent("bf16.safetensors").path)
        #expect(ckpt.shardCount == 1)
        #expect(!ckpt.isSharded)
        #expect(ckpt.metadata == ["format": "pt"])
        try expectMatches(ckpt, try #require(try loadExpectedFiles()["bf16.safetensors"]))
    }
}
