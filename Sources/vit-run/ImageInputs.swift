import ArgumentParser
import Foundation
import ViTCLI
import ViTImage
import ViTMapping
import ViTPreprocess
import ViTTensor

/// The options that turn image files into the model's input (see docs/vit-run.md).
struct ImageOptions: ParsableArguments {
    @Option(help: "Resize size: the shorter side (or both sides of an exact resize), overriding the checkpoint's config.")
    var resize: Int?
    @Option(name: .customLong("crop-pct"), help: "timm crop_pct: resize the shorter side to floor(crop / pct), then centre-crop.")
    var cropPct: Double?
    @Option(help: "Resampling filter: nearest, box, bilinear, hamming, bicubic, lanczos (Pillow's).")
    var interpolation: String?
    @Option(help: "Per-channel mean, three comma-separated numbers (e.g. 0.485,0.456,0.406).") var mean: String?
    @Option(help: "Per-channel std, three comma-separated numbers.") var std: String?
    @Option(name: .customLong("dump-input"), help: "Write the preprocessed batch here as float32 NCHW .npy.")
    var dumpInput: String?
    @Option(name: .customLong("max-pixels"), help: "Refuse images whose header claims more pixels (Pillow's limit by default).")
    var maxPixels: Int = ImageDecoder.defaultMaxPixels

    func overrides() throws -> PreprocessingOverrides {
        var o = PreprocessingOverrides(resize: resize, cropPct: cropPct)
        if let name = interpolation {
            guard let f = ResampleFilter(name: name) else {
                throw ValidationError("--interpolation: unknown filter '\(name)' (nearest, box, bilinear, hamming, bicubic, lanczos)")
            }
            o.interpolation = f
        }
        o.mean = try mean.map { try Self.triple($0, option: "--mean") }
        o.std = try std.map { try Self.triple($0, option: "--std") }
        return o
    }

    static func triple(_ text: String, option: String) throws -> [Double] {
        let v = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard v.count == 3, v.allSatisfy({ $0 != nil }) else {
            throw ValidationError("\(option): expected three comma-separated numbers, found '\(text)'")
        }
        return v.map { $0! }
    }

    /// Whether any preprocessing option was given (they make no sense with an .npy batch).
    var anyGiven: Bool { resize != nil || cropPct != nil || interpolation != nil || mean != nil || std != nil || dumpInput != nil }
}

/// Images through the checkpoint's preprocessing into one batch.
enum ImageInputs {
    static func batch(_ inputs: [String], checkpoint: CanonicalCheckpoint, source: TensorSource, modelPath: String,
                      options: ImageOptions) throws -> Tensor {
        let config = checkpoint.config
        let resolver = PreprocessingResolver.Checkpoint(
            path: modelPath, metadata: source.metadata, configJSON: source.configJSON, convention: checkpoint.convention.rawValue,
            family: config.family, imageSize: config.imageSize)
        let (preprocessing, notes) = try PreprocessingResolver.resolve(resolver, overrides: try options.overrides())
        for n in notes { printError("note: \(n)") }
        printError("preprocessing: \(preprocessing.summary) [\(preprocessing.source)]")
        let files = try ImageBatchLoader.expand(inputs)
        let batch = try ImageBatchLoader.load(files, preprocessing: preprocessing, minimumSide: max(config.patchSize[0], config.patchSize[1]),
                                              expectedSize: config.imageSize, maxPixels: options.maxPixels)
        return batch
    }
}
