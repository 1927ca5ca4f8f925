import Foundation
import Testing

/// `vit-convert --to LAYOUT`, `OUT.onnx` and `--list-layouts` through the built binary.
@Suite("vit-convert export")
struct ExportCLITests {
    let plain = fixture("conventions/timm_plain/model.safetensors")
    let registers = fixture("conventions/timm_registers/model.safetensors")

    @Test("--list-layouts prints the capability table: one row per feature, a column per layout")
    func listLayouts() throws {
        let r = try runTool("vit-convert", ["--list-layouts"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.split(separator: " ") == ["feature", "timm", "hf", "torchvision", "onnx"])
        #expect(lines.contains { $0.hasPrefix("registers ") && $0.split(separator: " ") == ["registers", "yes", "yes", "no", "yes"] })
        #expect(lines.contains { $0.split(separator: " ") == ["mean-pooling", "yes", "no", "no", "yes"] })
    }

    @Test("--to writes the layout's files, prints one line, and notes what it filled in or assumed")
    func exports() throws {
        let dir = makeTempFolder()
        let timm = try runTool("vit-convert", [plain, "\(dir)/timm", "--to", "timm", "--heads", "2"])
        #expect(timm.status == 0)
        #expect(timm.stdout == "wrote \(dir)/timm (timm: vit_base_patch16_224, 32 tensors; model.safetensors, config.json)\n")
        #expect(timm.stderr.contains("note: pretrained_cfg preprocessing assumed"))
        let tv = try runTool("vit-convert", [plain, "\(dir)/tv.pth", "--to", "torchvision", "--heads", "2", "-q"])
        #expect(tv.status == 0 && tv.stdout.isEmpty && tv.stderr.isEmpty)
        let onnx = try runTool("vit-convert", [plain, "\(dir)/m.onnx", "--heads", "2"])
        #expect(onnx.status == 0)
        #expect(onnx.stdout.hasPrefix("wrote \(dir)/m.onnx (onnx: ONNX opset 17, output logits"))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(names == ["m.onnx", "timm", "tv.pth"])
    }

    @Test("a model the layout cannot hold exits 1 naming the feature and the layouts that hold it; nothing is written")
    func refusal() throws {
        let dir = makeTempFolder()
        let r = try runTool("vit-convert", [registers, "\(dir)/tv.pth", "--to", "torchvision", "--heads", "2"])
        #expect(r.status == 1)
        #expect(r.stderr == "Error: cannot export to torchvision: the model has register tokens, which torchvision cannot hold "
                + "(torchvision's VisionTransformer has no register tokens); layouts that hold it: timm, hf, onnx\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        let u = try runTool("vit-convert", [plain, "\(dir)/x", "--to", "timm", "--image-size", "64"])
        #expect(u.status == 64)
    }
}
