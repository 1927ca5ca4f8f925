import Foundation
import ViTMapping
import ViTModel
import ViTONNX
import ViTSafetensors
import ViTTensor
import ViTTorch

/// Exports any checkpoint ViTKit reads into the layout a library loads (timm, transformers, torchvision) or into
/// an ONNX graph. The model is mapped to the canonical layout, checked against the capability table, then
/// written atomically (a temporary file or folder renamed into place).
public enum Exporter {
    /// Runs one export.
    /// - Throws: `ConvertError` for the paths, `ExportError` for what the layout cannot hold, and the errors of
    ///   opening, mapping and writing (passed through).
    public static func export(_ request: ExportRequest) throws -> ExportReport {
        try PathChecks.checkInput(request.input)
        try checkOutputName(request)
        try PathChecks.checkNotInput(request.output, inputs: [request.input], input: request.input)
        if let d = request.dtype, ![DType.f32, .f16, .bf16].contains(d) { throw ConvertError.unsupportedOutputDType(d) }
        let source = try InputOpener.open(request.input)
        try PathChecks.checkNotInput(request.output, inputs: PathChecks.files(of: source), input: request.input)
        let canonical = try ViTMapper.loadCanonical(source, options: request.mapping)
        var tensors = canonical.tensors
        for (k, t) in tensors {
            let target = request.dtype ?? (t.dtype == .f64 ? .f32 : t.dtype)
            if t.dtype != target { tensors[k] = try t.converted(to: target) }
        }
        let constantDType = tensors["patch_embed.proj.weight"]?.dtype ?? .f32
        let config = canonical.config
        if request.layout == .onnx {
            return try exportONNX(request, config: config, tensors: tensors, mapping: canonical.report)
        }
        let plan = try ExportPlanner.plan(config, for: request.layout) { name in
            guard let t = tensors[name] else { throw ExportError.missingTensor(name) }
            return t.floats().allSatisfy { $0 == 0 }
        }
        try checkCancelled(request)
        let built = try plan.tensors.map { ($0.name, try $0.build(tensors, dtype: constantDType)) }
        for (e, (_, t)) in zip(plan.tensors, built) where t.shape != e.shape {
            throw MappingError.shapeMismatch(file: request.input, tensor: e.name, sources: e.sources, expected: e.shape, found: t.shape)
        }
        let metadata = ["format": "pt", "vitkit_source": OutputMetadata.sourceName(request.input),
                        "vitkit_version": OutputMetadata.vitkitVersion, "vitkit_layout": request.layout.rawValue,
                        OutputMetadata.configKey: config.jsonString()]
        var files: [String]
        try checkCancelled(request)
        switch request.layout {
        case .timm, .hf:
            let folder = try OutputFolder(destination: request.output, overwrite: request.overwrite)
            try SafetensorsWriter.write(tensors: aligned(built), metadata: metadata, to: folder.path("model.safetensors"))
            files = ["model.safetensors", "config.json"]
            if let c = plan.config { try folder.writeText(c.text() + "\n", to: "config.json") }
            if let p = plan.preprocessor {
                try folder.writeText(p.text() + "\n", to: "preprocessor_config.json")
                files.append("preprocessor_config.json")
            }
            try checkCancelled(request)
            try folder.commit()
        case .torchvision:
            var m = metadata
            m["vitkit_torchvision_args"] = plan.config.map { $0.text() }
            if request.output.lowercased().hasSuffix(".safetensors") {
                try SafetensorsWriter.write(tensors: aligned(built), metadata: m, to: request.output, overwrite: request.overwrite)
            } else {
                try TorchSaveWriter.write(stateDict: built, to: request.output, overwrite: request.overwrite)
            }
            files = [OutputMetadata.sourceName(request.output)]
        case .onnx:
            files = []
        }
        return ExportReport(layout: request.layout, target: plan.target, output: request.output, files: files,
                            tensorCount: built.count, notes: plan.notes, mapping: canonical.report)
    }

    private static func exportONNX(_ request: ExportRequest, config: ViTConfig, tensors: [String: Tensor],
                                   mapping: InferenceReport) throws -> ExportReport {
        try PathChecks.checkOutput(request.output, overwrite: request.overwrite)
        let graph = try ONNXExport.model(config: config, tensors: tensors,
                                         metadata: ["vitkit_source": OutputMetadata.sourceName(request.input),
                                                    "vitkit_convention": mapping.convention.rawValue])
        let bytes = try graph.serialized()
        let file = try AtomicFile(destination: request.output, overwrite: request.overwrite)
        try file.write(bytes)
        try checkCancelled(request)
        try file.commit()
        return ExportReport(layout: .onnx, target: "ONNX opset \(ONNXExport.opset), output \(graph.outputName)",
                            output: request.output, files: [OutputMetadata.sourceName(request.output)],
                            tensorCount: graph.initializerCount, notes: graph.notes, mapping: mapping)
    }

    static func checkCancelled(_ r: ExportRequest) throws {
        if r.cancellation?.isCancelled == true { throw ConvertError.cancelled(output: r.output) }
    }

    /// Tensors in the reference safetensors writer's order (dtype size descending, then name).
    static func aligned(_ tensors: [(String, Tensor)]) -> [(String, Tensor)] {
        let byName = Dictionary(tensors, uniquingKeysWith: { a, _ in a })
        return SafetensorsWriter.alignedOrder(tensors.map { TensorInfo(name: $0.0, dtype: $0.1.dtype, shape: $0.1.shape) })
            .compactMap { i in byName[i.name].map { (i.name, $0) } }
    }

    /// The output name the layout needs: a `.pth`/`.pt`/`.safetensors` file for torchvision, `.onnx` for ONNX.
    static func checkOutputName(_ r: ExportRequest) throws {
        let lower = r.output.lowercased()
        switch r.layout {
        case .torchvision:
            guard [".pth", ".pt", ".safetensors"].contains(where: lower.hasSuffix) else {
                throw ConvertError.unsupportedExportExtension(path: r.output, layout: r.layout, expected: ".pth, .pt or .safetensors")
            }
            try PathChecks.checkOutput(r.output, overwrite: r.overwrite)
        case .onnx:
            guard lower.hasSuffix(".onnx") else {
                throw ConvertError.unsupportedExportExtension(path: r.output, layout: r.layout, expected: ".onnx")
            }
        case .timm, .hf:
            if [".safetensors", ".bin", ".h5", ".pth", ".onnx"].contains(where: lower.hasSuffix) {
                throw ConvertError.unsupportedExportExtension(path: r.output, layout: r.layout, expected: "a folder name")
            }
        }
    }
}
