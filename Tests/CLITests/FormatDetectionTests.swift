import Foundation
import Testing
import ViTTensor
@testable import ViTFormats

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
func fixture(_ p: String) -> String { repoRoot.appendingPathComponent("fixtures/" + p).path }

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
        let p = tempFile(Array("PK\u{3}\u{4} not a model".utf8), name: "model.pt")
        let err = FormatError.unrecognized(path: p, firstBytes: "50 4b 03 04 20 6e 6f 74")
        #expect(throws: err) { try FormatDetection.detect(path: p) }
        #expect(err.description.contains("safetensors") && err.description.contains("HDF5"))
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
