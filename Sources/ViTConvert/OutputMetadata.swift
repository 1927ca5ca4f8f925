import Foundation
import ViTMapping
import ViTModel
import ViTPreprocess
import ViTTensor

/// The metadata keys a conversion writes (see docs/vit-convert.md).
public enum OutputMetadata {
    /// The ViTKit version recorded as provenance.
    public static let vitkitVersion = "0.1.0"

    /// `__metadata__["vitkit_config"]` / root attribute `vitkit_config`: the `ViTConfig` as JSON.
    public static let configKey = "vitkit_config"
    /// The convention the input was in (`timm`, `huggingface`, ...).
    public static let conventionKey = "vitkit_convention"
    /// The input's file (or folder) name, without its folders.
    public static let sourceKey = "vitkit_source"
    /// The ViTKit version that wrote the file.
    public static let versionKey = "vitkit_version"
    /// Present after `--image-size`: what the resize did.
    public static let resizedKey = "vitkit_resized"

    /// `vitkit_preprocessing`: the input's own preprocessing (timm pretrained_cfg, HF preprocessor_config.json)
    /// as ViTKit JSON, so converted files keep it (absent when only family defaults apply, and after a resize).
    public static let preprocessingKey = PreprocessingResolver.metadataKey

    /// The JSON of the preprocessing the input's config files give, or nil (none, or one ViTKit cannot read:
    /// vit-run on the input reports why).
    static func preprocessing(of source: TensorSource, input: String, config: ViTConfig, convention: Convention) -> String? {
        let c = PreprocessingResolver.Checkpoint(path: input, metadata: source.metadata, configJSON: source.configJSON,
                                                 convention: convention.rawValue, family: config.family, imageSize: config.imageSize)
        guard let p = try? PreprocessingResolver.configured(c), let data = try? JSONEncoder().encode(p) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// The string metadata for `format`.
    /// - Parameters:
    ///   - format: the output format (`.bin` carries the config as its config JSON instead of a key;
    ///     safetensors adds `format: pt`, which transformers and timm look for).
    ///   - config: the config as written.
    ///   - convention: the input's convention.
    ///   - input: the input path.
    ///   - resize: the resize, if any.
    public static func entries(for format: OutputFormat, config: ViTConfig, convention: Convention, input: String,
                               resize: ResizeSummary?) -> [String: String] {
        var m: [String: String] = [
            conventionKey: convention.rawValue,
            sourceKey: sourceName(input),
            versionKey: vitkitVersion,
        ]
        if let resize { m[resizedKey] = resize.text }
        switch format {
        case .safetensors:
            m["format"] = "pt"
            m[configKey] = config.jsonString()
        case .hdf5:
            m[configKey] = config.jsonString()
        case .bin:
            break
        }
        return m
    }

    /// The last path component (`a/b/model.safetensors` → `model.safetensors`, `a/folder/` → `folder`).
    static func sourceName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
