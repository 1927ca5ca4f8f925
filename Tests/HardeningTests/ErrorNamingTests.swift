import Foundation
import Testing
import ViTBin
import ViTFormats
import ViTTensor

/// Every refusal names the file it is about: broken files of every format, opened through the opener
/// every tool uses, give an error whose message contains the path.
@Suite("every error names the file")
struct ErrorNamingTests {
    /// Broken checkpoints: a name and the bytes of the file.
    static func brokenFiles() throws -> [(String, [UInt8])] {
        let tiny = try readFile(fuzzCorpus.appendingPathComponent("bin/seeds/tiny.bin").path)
        let st = try readFile(fuzzCorpus.appendingPathComponent("safetensors/seeds/f32.safetensors").path)
        var flipped = tiny
        flipped[tiny.count / 2] ^= 0x10
        var files: [(String, [UInt8])] = [
            ("empty.safetensors", []),
            ("seven-bytes.safetensors", [1, 0, 0, 0, 0, 0, 0]),
            ("truncated.safetensors", Array(st.dropLast(5))),
            ("trailing.safetensors", st + [0]),
            ("bad-json.safetensors", safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]"#, data: [0, 0, 0, 0])),
            ("unknown-dtype.safetensors", safetensorsBytes(header: #"{"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])),
            ("truncated.bin", Array(tiny.dropLast(100))),
            ("flipped.bin", flipped),
            ("random.dat", (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }),
        ]
        for name in ["corrupt_garbled.h5", "corrupt_truncated.h5"] {
            files.append((name, try readFile(repoRoot.appendingPathComponent("fixtures/hdf5/\(name)").path)))
        }
        return files
    }

    @Test("opening each broken file fails with a message that contains its path")
    func openerNamesTheFile() throws {
        let folder = makeTempFolder("naming")
        defer { removeFolder(folder) }
        for (name, bytes) in try Self.brokenFiles() {
            let path = folder + "/" + name
            try writeFile(path, bytes)
            let error = thrownError {
                let source = try CheckpointOpener.open(path)
                for n in source.tensorNames { _ = try source.tensor(named: n) }
            }
            #expect(error != nil, "\(name) opened")
            if let error { #expect("\(error)".contains(path), "\(name): \(error)") }
        }
    }
}

/// A sharded checkpoint's index is untrusted too: it may not point outside its folder.
@Suite("hostile index files: shard names may not leave the checkpoint's folder")
struct HostileIndexTests {
    @Test("an index naming a shard by an absolute path or through '..' is refused, naming the index")
    func traversal() throws {
        let folder = makeTempFolder("index")
        defer { removeFolder(folder) }
        try writeRandomCheckpoint(folder + "/outside.safetensors", [TensorInfo(name: "w", dtype: .f32, shape: [2])], seed: 5)
        try FileManager.default.createDirectory(atPath: folder + "/model", withIntermediateDirectories: true)
        let index = folder + "/model/model.safetensors.index.json"
        for shard in ["../outside.safetensors", folder + "/outside.safetensors", "sub/../../outside.safetensors", "..", ""] {
            try writeFile(index, Array(#"{"metadata":{},"weight_map":{"w":"\#(shard)"}}"#.utf8))
            let error = thrownError { _ = try CheckpointOpener.open(index) }
            #expect(error != nil, "\(shard) was followed")
            if let error { #expect("\(error)".contains(index), "\(shard): \(error)") }
        }
    }
}
