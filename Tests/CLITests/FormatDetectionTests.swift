import Foundation
import Testing
import ViTTensor
@testable import ViTFormats
import ViTSafetensors
import ViTTorch
import ViTZip
import ViTTestSupport

/// The error `body` throws, if any.
func thrown(_ body: () throws -> Void) -> Error? {
    do { try body() } catch { return error }
    return nil
}

let repoRoot = Fixtures.repository
func fixture(_ p: String) -> String { Fixtures.path(p) }

func tempFile(_ bytes: [UInt8], name: String = "x.safetensors") -> String {
    let d = NSTemporaryDirectory() + "vitkit-detect-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    let p = d + "/" + name
    FileManager.default.createFile(atPath: p, contents: Data(bytes))
    return p
}

@Suite("format detection by content")
struct FormatDetectionTests {
    @Test("a safetensors file is detected whatever its extension")
    func safetensors() throws {
        let src = fixture("conventions/timm_plain/model.safetensors")
        let copy = tempFile(Array(try Data(contentsOf: URL(fileURLWithPath: src))), name: "weights.h5")
        #expect(try FormatDetection.detect(path: copy) == .safetensors)
        let opened = try CheckpointOpener.open(copy)
        #expect(opened.formatName == "safetensors")
        #expect(opened.tensorInfos.contains { $0.name == "blocks.1.attn.qkv.weight" })
    }

    @Test("HDF5 is detected at offset 0 and after a 512-byte user block")
    func hdf5() throws {
        #expect(try FormatDetection.detect(path: fixture("hdf5/flat.h5")) == .hdf5)
        #expect(try FormatDetection.detect(path: fixture("hdf5/userblock.h5")) == .hdf5)
        #expect(try CheckpointOpener.open(fixture("hdf5/userblock.h5")).formatName == "hdf5")
    }

    @Test("a save_pretrained folder opens as one checkpoint with its config.json")
    func folder() throws {
        let p = fixture("conventions/hf_vit_classification/model")
        #expect(try FormatDetection.detect(path: p) == .folder)
        let src = try CheckpointOpener.open(p)
        #expect(src.configJSON?.contains("num_attention_heads") == true)
    }

    @Test("a missing path is named as missing")
    func missing() {
        #expect(throws: FormatError.notFound(path: "/nonexistent/model.safetensors")) {
            try FormatDetection.detect(path: "/nonexistent/model.safetensors")
        }
    }

    @Test("unknown content is refused naming the file, its first bytes and the formats ViTKit reads")
    func unknown() throws {
        let p = tempFile(Array("GIF89a not a model".utf8), name: "model.pt")
        let err = FormatError.unrecognized(path: p, firstBytes: "47 49 46 38 39 61 20 6e")
        #expect(throws: err) { try FormatDetection.detect(path: p) }
        #expect(throws: err) { try CheckpointOpener.open(p) }
        #expect(err.description.contains("safetensors") && err.description.contains("HDF5"))
    }

    @Test("a file that starts like a zip but is not one reports the zip reader's own error")
    func damagedZip() throws {
        let p = tempFile(Array("PK\u{3}\u{4} not a model".utf8), name: "model.pt")
        let error = try #require(thrown { _ = try CheckpointOpener.open(p) })
        #expect(error is ZipError, "\(error)")
        #expect("\(error)".hasPrefix(p))
    }

    @Test("a JSON file that is not a shard index is refused as such")
    func jsonNotIndex() {
        let p = tempFile(Array("{\"hello\": 1}".utf8), name: "config.json")
        #expect(throws: FormatError.notAnIndex(path: p)) { try FormatDetection.detect(path: p) }
    }

    @Test("an empty file is unrecognized, not a crash")
    func empty() {
        let p = tempFile([], name: "empty.bin")
        #expect(throws: FormatError.unrecognized(path: p, firstBytes: "")) { try FormatDetection.detect(path: p) }
    }
}

@Suite("native .bin detection")
struct BinDetectionTests {
    @Test("a ViTKit .bin is detected by its magic and opened with its config")
    func bin() throws {
        let p = fixture("bin/tiny.bin")
        #expect(try FormatDetection.detect(path: p) == .vitkitBin)
        #expect(try CheckpointOpener.open(p).formatName == "vitkit-bin")
    }
}

@Suite("torch.save and npz detection")
struct ZipFormatDetectionTests {
    @Test("a torch.save zip, a legacy torch file and an npz archive are told apart by content")
    func zips() throws {
        #expect(try FormatDetection.detect(path: fixture("sources/torch/plain.pth")) == .torch)
        #expect(try FormatDetection.detect(path: fixture("sources/torch/legacy.pth")) == .torch)
        #expect(try FormatDetection.detect(path: fixture("sources/jax/original.npz")) == .npz)
        #expect(try CheckpointOpener.open(fixture("sources/jax/big_vision.npz")).formatName == "npz")
        #expect(try CheckpointOpener.open(fixture("sources/torch/wrapped.pth")).formatName == "torch-zip")
    }
}

@Suite("detection is one pass and authoritative")
struct AuthoritativeDetectionTests {
    @Test("a sharded index renamed to weights.json is read as an index (its name does not matter)")
    func renamedIndex() throws {
        let src = fixture("safetensors/vit_sharded")
        let dir = NSTemporaryDirectory() + "vitkit-renamed-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in try FileManager.default.contentsOfDirectory(atPath: src) where name.hasSuffix(".safetensors") {
            try FileManager.default.copyItem(atPath: src + "/" + name, toPath: dir + "/" + name)
        }
        try FileManager.default.copyItem(atPath: src + "/model.safetensors.index.json", toPath: dir + "/weights.json")
        let opened = try CheckpointOpener.openDetected(dir + "/weights.json")
        #expect(opened.format == .safetensorsIndex)
        #expect(opened.source.tensorInfos.count == 38)  // len(weight_map) in the index
        #expect(opened.source.files.contains(dir + "/model-00001-of-00004.safetensors"))
        #expect(try FormatDetection.detect(path: dir + "/weights.json") == .safetensorsIndex)
    }

    @Test("an index whose JSON is broken reports the strict parser's error, with the offset")
    func brokenIndex() throws {
        let p = tempFile(Array("{\"weight_map\": {\"a\": \"s.safetensors\",}}".utf8), name: "weights.json")
        let error = try #require(thrown { _ = try CheckpointOpener.open(p) })
        guard case SafetensorsError.invalidJSON(file: p, _, _, _)? = error as? SafetensorsError else {
            Issue.record("expected invalidJSON, found \(error)")
            return
        }
    }

    @Test("a truncated .pth reports the zip's own error, not 'not a checkpoint'")
    func truncatedTorch() throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: fixture("sources/torch/plain.pth"))))
        let p = tempFile(Array(bytes.prefix(bytes.count / 2)), name: "model.pth")
        let error = try #require(thrown { _ = try CheckpointOpener.open(p) })
        let text = "\(error)"
        #expect(error is ZipError || error is TorchError, "\(text)")
        #expect(text.hasPrefix(p))
        #expect(!text.contains("not a checkpoint ViTKit reads"))
        #expect(text.contains("no end-of-central-directory record"), "\(text)")
    }

    @Test("a config.json beside a safetensors file or in its folder is attached by the opener and listed in files")
    func sidecar() throws {
        let dir = NSTemporaryDirectory() + "vitkit-sidecar-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: fixture("conventions/timm_plain/model.safetensors"), toPath: dir + "/w.safetensors")
        #expect(try CheckpointOpener.open(dir + "/w.safetensors").configJSON == nil)
        let config = "{\"model_type\": \"vit\", \"note\": \"é\"}"
        try Data(config.utf8).write(to: URL(fileURLWithPath: dir + "/config.json"))
        for path in [dir, dir + "/w.safetensors"] {
            let source = try CheckpointOpener.open(path)
            #expect(source.configJSON == config)
            #expect(source.files.contains(dir + "/config.json"))
            #expect(source.files.contains(dir + "/w.safetensors"))
        }
        try Data([0x7B, 0xFF, 0x7D]).write(to: URL(fileURLWithPath: dir + "/config.json"))
        #expect(throws: FormatError.invalidConfig(path: dir + "/config.json", message: "invalid UTF-8")) {
            try CheckpointOpener.open(dir)
        }
    }
}
