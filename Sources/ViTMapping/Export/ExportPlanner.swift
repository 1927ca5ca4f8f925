import ViTModel
import ViTTensor

/// Plans an export: checks the capability table, then builds the layout's tensor list and config files.
public enum ExportPlanner {
    /// Plans exporting a canonical model into `layout` (not `.onnx`, which builds a graph instead).
    /// - Parameters:
    ///   - config: the canonical config.
    ///   - layout: the target layout.
    ///   - isZero: whether a canonical tensor is all zeros (asked only for tensors the layout has no place for).
    /// - Throws: `ExportError.cannotExpress` for a feature or combination the layout cannot hold,
    ///   `.nonZeroDropped` for a non-zero tensor it has no place for.
    public static func plan(_ config: ViTConfig, for layout: ExportLayout,
                            isZero: (String) throws -> Bool) throws -> ExportPlan {
        try CapabilityTable.check(config, for: layout)
        switch layout {
        case .timm: return try TimmExport.plan(config, isZero: isZero)
        case .hf: return try HFExport.plan(config, isZero: isZero)
        case .torchvision: return try TorchvisionExport.plan(config)
        case .onnx:
            return ExportPlan(layout: .onnx, target: "onnx", tensors: [], config: nil, preprocessor: nil, notes: [])
        }
    }

    /// A `cannotExpress` error for a combination of features a layout's classes cannot hold together.
    static func combination(_ layout: ExportLayout, _ feature: String, _ reason: String,
                            holders: [ExportLayout] = [.onnx]) -> ExportError {
        .cannotExpress(layout: layout, feature: feature, reason: reason, holders: holders)
    }

    /// A ratio `r` with `Int(Double(dim) * r) == hidden`, as Python's `int(dim * mlp_ratio)` computes it.
    static func ratio(_ hidden: Int, over dim: Int) -> Double {
        var r = Double(hidden) / Double(dim)
        for _ in 0..<4 where Int(Double(dim) * r) != hidden { r = r.nextUp }
        return r
    }

    /// Mean and std the model family was trained with, and the crop fraction (a note says they are assumed).
    static func preprocessing(_ c: ViTConfig) -> (mean: [Double], std: [Double], crop: Double, what: String) {
        let family = (c.family ?? "").lowercased()
        if c.normPre || c.activation == .quickGelu || family.contains("clip") {
            return ([0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711], 1.0, "OpenAI CLIP mean/std")
        }
        if c.globalPool == .map || family.contains("siglip") {
            return ([0.5, 0.5, 0.5], [0.5, 0.5, 0.5], 1.0, "SigLIP mean/std 0.5")
        }
        return ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225], c.layerScale ? 1.0 : 0.9, "ImageNet mean/std")
    }

    static func size(_ v: [Int]) -> ConfigJSON {
        v[0] == v[1] ? .int(v[0]) : .array(v.map(ConfigJSON.int))
    }
}
