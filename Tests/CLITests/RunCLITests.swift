import Foundation
import Testing
import ViTNumpy
import ViTTensor

/// Tolerance for logits against the reference library: max|diff| / max(1, max|ref|) ≤ 1e-4.
let logitTolerance: Float = 1e-4

func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    let diff = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    return diff / max(1, b.map(abs).max() ?? 0)
}

@Suite("vit-run")
struct RunCLITests {
    /// (fixture case, checkpoint inside it, extra flags) — logits were computed by the library named in case.json.
    static let cases: [(String, String, [String])] = [
        ("timm_plain", "model.safetensors", ["--heads", "2"]),            // timm
        ("timm_deit_distilled", "model.safetensors", ["--heads", "4"]),   // timm DeiT
        ("torchvision", "model.safetensors", ["--heads", "4"]),           // torchvision
        ("hf_vit_classification", "model", []),                          // transformers (heads from config.json)
        ("vit_pytorch_cls", "model.safetensors", ["--heads", "4"]),       // vit-pytorch
        ("timm_bf16", "model.safetensors", ["--heads", "4"]),             // timm, bf16 weights
    ]

    @Test("logits written by vit-run match the reference library's within 1e-4 relative", arguments: cases)
    func logitsMatch(c: (String, String, [String])) throws {
        let dir = fixture("conventions/\(c.0)")
        let out = makeTempFolder() + "/logits.npy"
        let r = try runTool("vit-run", ["\(dir)/\(c.1)", "--input", "\(dir)/input.npy", "--output", out, "--top", "3"] + c.2)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let got = try NpyFile(path: out).tensor
        let want = try NpyFile(path: "\(dir)/logits.npy").tensor
        #expect(got.shape == want.shape)
        #expect(relativeError(got.floats(), want.floats()) <= logitTolerance)
        #expect(r.stdout.hasPrefix("image 0:"))
    }

    @Test("the top class printed is the reference's argmax, with the label from config.json")
    func topClass() throws {
        let dir = fixture("conventions/hf_vit_classification")
        let r = try runTool("vit-run", ["\(dir)/model", "--input", "\(dir)/input.npy", "--top", "1"])
        let want = try NpyFile(path: "\(dir)/logits.npy").tensor.floats()
        let classes = want.count / 2
        let argmax0 = (0..<classes).max { want[$0] < want[$1] }!
        let line = r.stdout.split(separator: "\n")[1]
        #expect(line.trimmingCharacters(in: .whitespaces).hasPrefix("\(argmax0) "))
    }

    @Test("--repeat prints the forward timing as the last stderr line")
    func repeatTiming() throws {
        let dir = fixture("conventions/timm_plain")
        let r = try runTool("vit-run", ["\(dir)/model.safetensors", "--input", "\(dir)/input.npy", "--heads", "2", "--repeat", "3"])
        #expect(r.status == 0)
        let last = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("forward median_ms=") && last.contains(" min_ms="))
    }

    @Test("an input that is not float32 NCHW is refused with what was expected and found")
    func badInput() throws {
        let dir = fixture("conventions/timm_plain")
        let r = try runTool("vit-run", ["\(dir)/model.safetensors", "--input", fixture("numpy/f32_fortran.npy"), "--heads", "2"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("expected little-endian C-order float32 NCHW images"))
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"))
    }

    @Test("images with the wrong channel count are refused naming both shapes")
    func wrongChannels() throws {
        let dir = fixture("conventions/timm_plain")
        let t = try Tensor(shape: [1, 1, 32, 32], float32: [Float](repeating: 0.5, count: 1024))
        let p = makeTempFolder() + "/x.npy"
        try NpyFile.write(t, to: p)
        let r = try runTool("vit-run", ["\(dir)/model.safetensors", "--input", p, "--heads", "2"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("(1, 3, 32, 32)") && r.stderr.contains("(1, 1, 32, 32)"))
    }

    @Test("images of another size run with the position embedding interpolated at run time, said in a note")
    func otherSize() throws {
        let dir = fixture("conventions/timm_plain")
        let t = try Tensor(shape: [1, 3, 16, 16], float32: [Float](repeating: 0.5, count: 768))
        let p = makeTempFolder() + "/x.npy"
        try NpyFile.write(t, to: p)
        let r = try runTool("vit-run", ["\(dir)/model.safetensors", "--input", p, "--heads", "2"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("the input is 16x16, the checkpoint 32x32") && r.stderr.contains("bicubic_antialias"))
    }

    @Test("a checkpoint without head metadata and an impossible head-dim-64 guess asks for --heads")
    func needsHeads() throws {
        let dir = fixture("conventions/timm_plain")
        let r = try runTool("vit-run", ["\(dir)/model.safetensors", "--input", "\(dir)/input.npy"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("pass --heads N"))
    }

    @Test("a missing model file is named")
    func missingModel() throws {
        let r = try runTool("vit-run", ["/nonexistent/m.safetensors", "--input", fixture("conventions/timm_plain/input.npy")])
        #expect(r.status != 0)
        #expect(r.stderr.contains("/nonexistent/m.safetensors"))
    }
}

@Suite("vit-run on torch.save files")
struct RunTorchCLITests {
    @Test("plain and wrapped (module.-prefixed) torch.save files give timm's logits within 1e-4 relative",
          arguments: ["plain.pth", "wrapped.pth"])
    func torchLogits(file: String) throws {
        let dir = fixture("sources/tiny_vit")
        let out = makeTempFolder() + "/logits.npy"
        let r = try runTool("vit-run", [fixture("sources/torch/\(file)"), "--input", "\(dir)/input.npy", "--output", out, "--heads", "2"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let got = try NpyFile(path: out).tensor.floats()
        let want = try NpyFile(path: "\(dir)/logits.npy").tensor.floats()
        #expect(relativeError(got, want) <= logitTolerance)
    }

    @Test("a pickle that calls os.system is refused naming the global, and nothing runs")
    func evil() throws {
        let marker = makeTempFolder() + "/pwned"
        let r = try runTool("vit-run", [fixture("sources/torch/evil.pth"), "--input", fixture("sources/tiny_vit/input.npy")])
        #expect(r.status != 0)
        #expect(r.stderr.contains("posix.system") && r.stderr.contains("nothing was executed"))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
