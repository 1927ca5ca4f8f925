import Foundation
import Testing
import ViTConvert
import ViTMapping
import ViTModel
import ViTNumpy
import ViTONNX
import ViTTensor

/// `vit-convert IN OUT.onnx`: the graph ONNX Runtime runs gives the source library's committed output within 1e-4
/// relative. ONNX Runtime comes from tools/.venv-ort (made by .ci/run from tools/requirements-ort.txt); without it
/// these tests are skipped, unless VITKIT_REQUIRE_ORT=1 (set by .ci/run), which turns its absence into a failure.
@Suite("ONNX export through ONNX Runtime")
struct ONNXExportTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let python = repo + "/tools/.venv-ort/bin/python"
    static let ortAvailable = FileManager.default.isExecutableFile(atPath: python)
    static let required = ProcessInfo.processInfo.environment["VITKIT_REQUIRE_ORT"] == "1"

    /// One of each: plain, distilled, registers, mean pooling + fc_norm, f16, DINOv2 (LayerScale, registers after the
    /// position embedding, SwiGLU in bf16), CLIP (norm_pre, QuickGELU, projection), SigLIP (MAP head, tanh GELU),
    /// vit-pytorch (LayerNorms around the patch projection), DINOv2's classifier (class + mean patch token).
    static let cases = ["timm_plain", "timm_deit_distilled", "timm_registers", "timm_avg_fc_norm", "timm_f16",
                        "vit_pytorch_cls", "dinov2_original_registers", "hf_dinov2_swiglu_bf16", "openclip_quickgelu",
                        "hf_siglip_vision", "timm_siglip_map", "hf_dinov2_registers_classifier"]

    @Test("ONNX Runtime is present when VITKIT_REQUIRE_ORT=1")
    func runtimePresent() {
        if Self.required {
            #expect(Self.ortAvailable, "VITKIT_REQUIRE_ORT=1 but \(Self.python) is missing (.ci/run makes it)")
        }
    }

    @Test("the exported graph runs in ONNX Runtime with the library's output",
          .enabled(if: ortAvailable || required, "tools/.venv-ort is absent: ONNX Runtime round trip skipped"),
          arguments: ONNXExportTests.cases)
    func runtime(_ name: String) throws {
        let s = try #require(ExportSource.named(name))
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let report = try Exporter.export(ExportRequest(input: s.checkpoint, output: "\(tmp)/m.onnx", layout: .onnx, mapping: s.options))
        #expect(report.layout == .onnx)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.python)
        p.arguments = [Self.repo + "/tools/run_onnx.py", "\(tmp)/m.onnx", s.input, "\(tmp)/out.npy"]
        let pipe = Pipe()
        p.standardError = pipe
        p.standardOutput = Pipe()
        try p.run()
        let err = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(name): onnxruntime failed: \(err.suffix(2000))")
        guard p.terminationStatus == 0 else { return }
        let out = try NpyFile(path: "\(tmp)/out.npy").tensor
        let ref = try NpyFile(path: s.output).tensor
        #expect(out.shape == ref.shape)
        let e = relativeError(out.floats(), ref.floats())
        #expect(e <= 1e-4, "\(name): relative error \(e)")
    }

    @Test("the graph: opset 17, input pixel_values with a dynamic batch, the config and producer in its metadata")
    func graphShape() throws {
        let s = try #require(ExportSource.named("timm_plain"))
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        _ = try Exporter.export(ExportRequest(input: s.checkpoint, output: "\(tmp)/m.onnx", layout: .onnx, mapping: s.options))
        let m = try Onnx_ModelProto(serializedBytes: try Data(contentsOf: URL(fileURLWithPath: "\(tmp)/m.onnx")))
        #expect(m.opsetImport.map(\.version) == [17])
        #expect(m.producerName == "ViTKit")
        #expect(m.graph.input.map(\.name) == ["pixel_values"])
        #expect(m.graph.input[0].type.tensorType.shape.dim[0].dimParam == "batch")
        #expect(m.graph.output.map(\.name) == ["logits"])
        let meta = Dictionary(uniqueKeysWithValues: m.metadataProps.map { ($0.key, $0.value) })
        let config = try ViTConfig.fromJSON(try #require(meta["vitkit_config"]))
        #expect(config.numClasses == 10)
        let ops = Set(m.graph.node.map(\.opType))
        #expect(ops.isSuperset(of: ["Conv", "MatMul", "Add", "LayerNormalization", "Softmax", "Erf"]))
        #expect(throws: ConvertError.outputExists(path: "\(tmp)/m.onnx")) {
            _ = try Exporter.export(ExportRequest(input: s.checkpoint, output: "\(tmp)/m.onnx", layout: .onnx, mapping: s.options))
        }
    }
}
