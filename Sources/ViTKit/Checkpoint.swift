import Foundation

/// A Vision Transformer checkpoint in any format and naming convention ViTKit reads, understood as one
/// canonical (timm-layout) model.
///
/// ```swift
/// let checkpoint = try Checkpoint.open("model.safetensors")
/// print(checkpoint.config.depth, checkpoint.config.imageSize.height)
/// let model = try checkpoint.model()
/// let logits = try model(images)
/// try checkpoint.write(to: "model.bin")
/// ```
///
/// Opening reads headers only (names, shapes, metadata, a shipped `config.json`) and infers the config;
/// `model()` reads the weights. Immutable and `Sendable`: one checkpoint may serve several threads.
public final class Checkpoint: Sendable {
    /// The file or folder it was opened from.
    public let path: String
    /// The options it was opened with.
    public let options: CheckpointOptions
    /// The model's config (`depth`, `embedDim`, `imageSize.height`, `inChannels`, `numClasses`, …).
    public let config: ModelConfig
    /// How the checkpoint was understood: format, convention, notes and assumptions.
    public let report: CheckpointReport
    /// The opened container (tensor headers and metadata, data read on demand).
    public let source: any TensorSource
    /// The mapping of the container's tensors onto the canonical layout.
    public let mapping: MappingResult
    private let mappingOptions: MappingOptions

    private init(path: String, options: CheckpointOptions, source: any TensorSource, mappingOptions: MappingOptions,
                 mapping: MappingResult) {
        self.path = path
        self.options = options
        self.source = source
        self.mappingOptions = mappingOptions
        self.mapping = mapping
        self.config = ModelConfig(mapping.config)
        self.report = CheckpointReport(format: source.formatName, mapping: mapping.report)
    }

    /// Opens a checkpoint: any format (detected by content), any naming convention (detected by names).
    /// - Parameters:
    ///   - path: a file (`.safetensors`, `.h5`, `.pth`, `.npz`, `.bin`, a sharded index) or a folder.
    ///   - options: what the checkpoint does not record (heads, eps, a mapping file, …).
    /// - Returns: the checkpoint, its config inferred from headers (no weights read yet).
    /// - Throws: `FormatError` or the reader's own error for the container, `MappingError` for the names,
    ///   `CheckpointError` for the options. Every message names the file and says what was expected.
    public static func open(_ path: String, options: CheckpointOptions = CheckpointOptions()) throws -> Checkpoint {
        try validate(options)
        let mappingOptions = try options.mappingOptions()
        let source = try CheckpointOpener.open(path)
        let mapping = try ViTMapper.plan(source, options: mappingOptions)
        return Checkpoint(path: path, options: options, source: source, mappingOptions: mappingOptions, mapping: mapping)
    }

    /// Reads the weights into the canonical layout and builds the runnable model.
    /// - Returns: a model whose forward pass matches the reference library's.
    /// - Throws: the reader's errors, `MappingError.sourceChanged` when the file changed since `open`,
    ///   `ViTModelError` when the weights do not fit the config.
    public func model() throws -> Model {
        var tensors: [String: Tensor] = [:]
        for entry in mapping.plan.entries { tensors[entry.canonicalName] = try ViTMapper.materialize(entry, from: source) }
        let threads = options.threads ?? ProcessInfo.processInfo.activeProcessorCount
        return Model(try VisionTransformer(config: mapping.config, tensors: tensors, threads: threads,
                                           precision: options.precision))
    }

    /// Writes the checkpoint in the canonical layout, with its config embedded.
    /// - Parameters:
    ///   - path: the output; its extension picks the format (`.bin`, `.safetensors`, `.h5`).
    ///   - overwrite: whether an existing file may be replaced.
    ///   - dtype: convert every tensor to this floating-point dtype (nil: keep each stored dtype).
    /// - Returns: what was written.
    /// - Throws: `ConvertError` (extension, paths, space), the readers' and writers' errors. Nothing is left
    ///   at `path` when writing fails.
    @discardableResult
    public func write(to path: String, overwrite: Bool = false, dtype: DType? = nil) throws -> ConversionReport {
        let request = ConversionRequest(input: self.path, output: path, mapping: mappingOptions, dtype: dtype, overwrite: overwrite)
        return try Converter.convert(request, from: source)
    }

    private static func validate(_ o: CheckpointOptions) throws {
        if let h = o.heads, h <= 0 { throw CheckpointError.invalidOption(name: "heads", value: "\(h)", expected: "a positive number") }
        if let c = o.inChannels, c <= 0 {
            throw CheckpointError.invalidOption(name: "inChannels", value: "\(c)", expected: "a positive number")
        }
        if let e = o.layerNormEps, !(e > 0) {
            throw CheckpointError.invalidOption(name: "layerNormEps", value: "\(e)", expected: "a positive number")
        }
        if let s = o.imageSize, s.count != 2 || s.contains(where: { $0 <= 0 }) {
            throw CheckpointError.invalidOption(name: "imageSize", value: "\(s)", expected: "[height, width], both positive")
        }
        if let t = o.threads, t <= 0 { throw CheckpointError.invalidOption(name: "threads", value: "\(t)", expected: "a positive number") }
    }
}
