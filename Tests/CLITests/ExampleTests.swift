import Foundation
import Testing

@Suite("Examples/vitkit-example: the library contract as a program")
struct ExampleTests {
    @Test("the example opens, runs and writes safetensors, Keras HDF5 and torch.save checkpoints",
          arguments: [("conventions/timm_plain/model.safetensors", ["--heads", "2"]),
                      ("conventions/keras_legacy_h5/model.h5", []),
                      ("sources/torch/plain.pth", ["--heads", "2"])])
    func example(_ checkpoint: String, _ options: [String]) throws {
        let dir = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runTool("vitkit-example", [fixture(checkpoint)] + options + ["\(dir)/model.bin"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("config: depth 2"))
        #expect(r.stdout.contains("output: logits"))
        #expect(r.stdout.contains("wrote \(dir)/model.bin: 32 tensors"))
        #expect(FileManager.default.fileExists(atPath: "\(dir)/model.bin"))
    }

    @Test("the example reports a bad checkpoint on stderr and exits 1")
    func failure() throws {
        let r = try runTool("vitkit-example", ["/nonexistent/model.safetensors"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("/nonexistent/model.safetensors: no such file or folder"))
    }
}
