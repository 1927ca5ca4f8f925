import Foundation
import Testing
import ViTKit
import ViTNumpy
import ViTTestSupport

private let root = Fixtures.root.path

/// One fixture the facade must open, run and write: a checkpoint, its reference input and logits, and the
/// heads when the checkpoint does not record them (as its case.json says).
struct FacadeCase: Sendable, CustomStringConvertible {
    let checkpoint: String
    let folder: String
    let heads: Int?
    var description: String { checkpoint }

    static let all = [
        FacadeCase(checkpoint: "conventions/timm_plain/model.safetensors", folder: "conventions/timm_plain", heads: 2),
        FacadeCase(checkpoint: "conventions/keras_legacy_h5/model.h5", folder: "conventions/keras_legacy_h5", heads: nil),
        FacadeCase(checkpoint: "sources/torch/plain.pth", folder: "sources/tiny_vit", heads: 2),
        FacadeCase(checkpoint: "conventions/hf_vit_classification/model", folder: "conventions/hf_vit_classification", heads: nil),
    ]
}

@Suite("the ViTKit facade: open, config, model, run, write")
struct FacadeTests {
    /// The forward pass matches the reference library's logits to 1e-4 relative to the largest logit
    /// (float32 accumulation order differs between OpenBLAS and PyTorch/TensorFlow).
    @Test("the contract runs on safetensors, Keras HDF5, torch.save and a save_pretrained folder", arguments: FacadeCase.all)
    func contract(_ c: FacadeCase) throws {
        let checkpoint = try Checkpoint.open("\(root)/\(c.checkpoint)", options: CheckpointOptions(heads: c.heads))
        let config = checkpoint.config
        let input = try NpyFile(path: "\(root)/\(c.folder)/input.npy").tensor
        #expect(input.shape == [input.shape[0], config.inChannels, config.imageSize.height, config.imageSize.width])
        let model = try checkpoint.model()
        let images = try Tensor(shape: input.shape, float32: input.floats())
        let output = try model(images)
        let expected = try NpyFile(path: "\(root)/\(c.folder)/logits.npy").tensor.floats()
        let got = output.floats()
        #expect(output.shape == [input.shape[0], config.outputWidth])
        let scale = max(expected.map(abs).max() ?? 1, 1e-6)
        let worst = zip(got, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(got.count == expected.count && worst <= 1e-4 * scale, "max abs diff \(worst), scale \(scale)")

        let dir = NSTemporaryDirectory() + "vitkit-facade-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for ext in ["bin", "safetensors", "h5"] {
            let written = try checkpoint.write(to: "\(dir)/model.\(ext)")
            #expect(written.tensorCount == checkpoint.mapping.plan.entries.count)
            // The written file carries its config: it reopens with no options and runs the same.
            let back = try Checkpoint.open("\(dir)/model.\(ext)")
            #expect(back.config == config)
            #expect(back.report.convention == .timm)
            #expect(try back.model()(images).floats() == got)
        }
    }

    /// bf16 and f16 through the options: within 2e-2 (bf16) and 5e-3 (f16) of the reference logits relative to the
    /// largest, or, where this CPU has no kernels for them, fp32's own outputs with a note.
    @Test("the precision option reaches the forward pass", arguments: [Precision.bf16, .f16])
    func precisionOption(_ precision: Precision) throws {
        let c = FacadeCase.all[0]
        let path = "\(root)/\(c.checkpoint)"
        let input = try NpyFile(path: "\(root)/\(c.folder)/input.npy").tensor
        let images = try Tensor(shape: input.shape, float32: input.floats())
        let model = try Checkpoint.open(path, options: CheckpointOptions(heads: c.heads, precision: precision)).model()
        #expect(model.transformer.precision == precision)
        let got = try model(images).floats()
        let fp32 = try Checkpoint.open(path, options: CheckpointOptions(heads: c.heads)).model()(images).floats()
        if model.precisionNote != nil {
            #expect(got == fp32)
        } else {
            let scale = max(fp32.map(abs).max() ?? 1, 1)
            let worst = zip(got, fp32).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst > 0 && worst <= (precision == .bf16 ? 2e-2 : 5e-3) * scale, "\(precision): \(worst)")
        }
    }

    @Test("imageSize and patchSize read as height and width; every ViTConfig field reads through")
    func config() throws {
        let checkpoint = try Checkpoint.open("\(root)/conventions/hf_vit_classification/model")
        let config = checkpoint.config
        #expect(config.imageSize == ImageSize(height: 32, width: 32))
        #expect(config.patchSize.height == 8 && config.patchSize.width == 8)
        #expect(config.depth == 2 && config.embedDim == 32 && config.numHeads == 2 && config.inChannels == 3)
        #expect(config.vit.imageSize == [32, 32])
        #expect(config.labels?.first == "airplane")
        #expect(checkpoint.report.format == "safetensors")
        #expect(checkpoint.report.assumptions.isEmpty)
        #expect(checkpoint.report.lines.contains("heads: from metadata config.json num_attention_heads"))
    }

    @Test("heads the checkpoint does not record are asked for, not guessed, when head dim 64 cannot hold")
    func assumption() throws {
        let checkpoint = try Checkpoint.open("\(root)/conventions/keras_legacy_h5/model.h5")
        // Keras per-head kernels record the heads; the image size and vit-keras' eps are assumed, and said.
        #expect(checkpoint.report.assumptions.count == 2)
        #expect(checkpoint.report.assumptions.contains { $0.hasPrefix("image size 32x32 assumed") })
        #expect(checkpoint.report.lines.contains { $0.hasPrefix("assumption: LayerNorm eps 1e-06 assumed") })
        #expect(!checkpoint.report.lines.contains { $0.hasPrefix("note: LayerNorm eps") })
        let error = #expect(throws: MappingError.self) {
            _ = try Checkpoint.open("\(root)/conventions/timm_plain/model.safetensors")
        }
        #expect(error.map { "\($0)".contains("--heads") } == true)
    }

    @Test("bad options are refused naming the option, before the file is read")
    func badOptions() {
        #expect(throws: CheckpointError.invalidOption(name: "heads", value: "0", expected: "a positive number")) {
            _ = try Checkpoint.open("/nonexistent", options: CheckpointOptions(heads: 0))
        }
        #expect(throws: CheckpointError.mapFileUnreadable(path: "/nonexistent/map.json")) {
            _ = try Checkpoint.open("\(root)/conventions/timm_plain/model.safetensors",
                                    options: CheckpointOptions(mapFile: "/nonexistent/map.json"))
        }
        #expect(throws: FormatError.notFound(path: "/nonexistent/model.safetensors")) {
            _ = try Checkpoint.open("/nonexistent/model.safetensors")
        }
    }

    @Test("a wrong input shape is the model's own error")
    func wrongInput() throws {
        let model = try Checkpoint.open("\(root)/conventions/keras_legacy_h5/model.h5").model()
        #expect(throws: ViTModelError.self) { _ = try model(try Tensor(shape: [1, 3, 8, 8], float32: Array(repeating: 0, count: 192))) }
    }
}
