import ArgumentParser
import Foundation
import ViTCLI
import ViTFormats
import ViTMapping
import ViTModel
import ViTRuntime
import ViTNumpy
import ViTPreprocess
import ViTTensor

/// What vit-run writes: the model's output or the tokens of a layer.
enum FeatureKind: String, ExpressibleByArgument, CaseIterable {
    /// Logits, or without a classifier the embedding as the source library defines it.
    case output
    /// Every token of one layer, [N, tokens, D].
    case tokens
}

/// `vit-run MODEL --input X.npy`: runs any checkpoint ViTKit reads on a batch of images.
@main
struct VitRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vit-run",
        abstract: "Run a ViT checkpoint on images (JPEG, PNG, or a float32 NCHW .npy batch) and print the top classes.",
        discussion: "MODEL is any checkpoint ViTKit reads: \(CheckpointFormat.readableDescription). JPEG and PNG inputs are "
            + "preprocessed as the checkpoint's own config says (timm pretrained_cfg, Hugging Face preprocessor_config.json, "
            + "else the family's defaults, said in a note); see docs/vit-run.md. An .npy batch of another size than the "
            + "checkpoint's (a whole number of patches) runs with the position embedding interpolated as the source library "
            + "does at run time (--interpolate chooses another rule).")

    @Argument(help: "The checkpoint (a file or a folder).") var model: String
    @Option(parsing: .upToNextOption,
            help: "Images: JPEG/PNG files or folders of them, or one float32 NCHW .npy (v1-v3, little-endian, C order), already normalised.")
    var input: [String]
    @Option(help: "Write the result here as float32 .npy: logits [N, classes], the embedding [N, D], or tokens [N, T, D].")
    var output: String?
    @Option(help: ArgumentHelp(
        "output: logits, or without a classifier the library's embedding; tokens: every token of a layer.",
        discussion: "The embedding: timm pre-logits pooled features, HF pooler_output / image_embeds, CLIP encode_image, "
            + "DINOv2's normed class token, MAE's normed encoder class token."))
    var features: FeatureKind = .output
    @Option(parsing: .unconditional, help: "With --features tokens: the block, 1...depth, or from the end (-1 last, -2 penultimate). Default -1.")
    var layer: Int?
    @Flag(inversion: .prefixedNo, help: ArgumentHelp(
        "With --features tokens: apply the final norm to the tokens.",
        discussion: "Default: only for the last layer (timm forward_features; HF Dinov2/SigLIP last_hidden_state). "
            + "HF CLIP's last_hidden_state and VLMs' penultimate-layer features are not normed."))
    var finalNorm: Bool?
    @Option(help: "Classes to print per image.") var top = 5
    @Option(name: .customLong("repeat"), help: "Time N forward passes after one warm-up; the last stderr line gives median and min.")
    var repetitions: Int?
    @Option(help: "Threads for the forward pass (default: all cores).") var threads: Int?
    @Option(help: "fp32 (reference results), bf16 (block weights and products in bfloat16, ~1e-2 relative) or f16 (block weights stored in half precision, fp32 products, ~1e-3 relative).")
    var precision: Precision = .fp32
    @Option(help: "Class names, one per line (replaces the checkpoint's labels).") var labels: String?
    @Flag(help: "Print the top classes as JSON.") var json = false
    @Option(help: "Draw the attention rollout and the last block's class-token attention per head of the first image (PNG).")
    var attention: String?
    @Option(parsing: .upToNextOption, help: ArgumentHelp("Draw a figure from the run: attention-distance OUT.png.", valueName: "kind> <out.png"))
    var plot: [String] = []
    @Option(name: .customLong("plot-data"), help: "With --attention or --plot: write the figure's numbers here (.json or .npy).")
    var plotData: String?
    @OptionGroup var mapping: MappingArguments
    @OptionGroup(title: "Image preprocessing (JPEG/PNG inputs)") var imageOptions: ImageOptions

    /// Whether the input is one .npy batch (else image files).
    var isNpy: Bool { input.count == 1 && input[0].lowercased().hasSuffix(".npy") }

    func validate() throws {
        if top < 0 { throw ValidationError("--top must be 0 or more, found \(top)") }
        if let r = repetitions, r <= 0 { throw ValidationError("--repeat must be positive, found \(r)") }
        if let t = threads, t <= 0 { throw ValidationError("--threads must be positive, found \(t)") }
        if features != .tokens && (layer != nil || finalNorm != nil) {
            throw ValidationError("--layer and --final-norm/--no-final-norm apply only with --features tokens")
        }
        if features == .tokens && repetitions != nil {
            throw ValidationError("--repeat times the model's output; it does not apply with --features tokens")
        }
        if layer == 0 { throw ValidationError("--layer counts from 1 (or from the end: -1 last, -2 penultimate); 0 is no layer") }
        if input.isEmpty { throw ValidationError("--input needs at least one file") }
        if input.count > 1, input.contains(where: { $0.lowercased().hasSuffix(".npy") }) {
            throw ValidationError("--input: give one .npy batch, or image files; not both")
        }
        if isNpy, imageOptions.anyGiven {
            throw ValidationError("--resize, --crop-pct, --interpolation, --mean, --std and --dump-input apply to JPEG/PNG inputs, "
                                  + "not to an already-preprocessed .npy batch")
        }
        if imageOptions.maxPixels <= 0 { throw ValidationError("--max-pixels must be positive") }
        if !plot.isEmpty && (plot.count != 2 || plot[0] != "attention-distance") {
            throw ValidationError("--plot takes attention-distance and a file: --plot attention-distance OUT.png")
        }
        if plotData != nil && plot.isEmpty && attention == nil { throw ValidationError("--plot-data needs --attention or --plot") }
        if plotData != nil && !plot.isEmpty && attention != nil { throw ValidationError("--plot-data goes with one figure: --attention or --plot") }
    }

    func run() throws {
        let npy = isNpy ? try ImageBatch.load(input[0]) : nil
        let source = try CheckpointOpener.open(model)
        let checkpoint = try Self.loadCanonical(source, options: mapping.options, imageShape: npy?.shape ?? [])
        for line in describe(checkpoint.report) where checkpoint.report.headsSource == .assumedHeadDim64 || line.hasPrefix("note") {
            printError(line)
        }
        let images = try npy ?? ImageInputs.batch(input, checkpoint: checkpoint, source: source, modelPath: model, options: imageOptions)
        if let dump = imageOptions.dumpInput { try NpyFile.write(images, to: dump) }
        var classNames = try labels.map { try LabelFile.read($0) } ?? checkpoint.config.labels
        if classNames == nil && checkpoint.config.numClasses == 1000 {
            classNames = ImageNetLabels.imagenet1k
            printError("note: no class names in the checkpoint; ImageNet-1k names assumed for its 1000-class head "
                       + "(timm's ImageNetInfo); --labels FILE gives others")
        }
        if let names = classNames, labels != nil, names.count != checkpoint.config.numClasses {
            printError("note: --labels lists \(names.count) names for \(checkpoint.config.numClasses) classes")
        }
        let (config, tensors) = try Self.atInputSize(checkpoint, imageShape: images.shape, input: input[0])
        let vit = try VisionTransformer(config: config, tensors: tensors,
                                        threads: threads ?? ProcessInfo.processInfo.activeProcessorCount,
                                        precision: precision)
        if let note = vit.precisionNote { printError(note) }
        let expected = vit.inputShape(batch: images.shape.first ?? 0)
        guard images.shape == expected else {
            throw NpyError.unexpectedArray(file: input[0], expected: "images of shape \(Shape.describe(expected)) for this model",
                                           found: "shape \(Shape.describe(images.shape))")
        }
        let workspace = ViTWorkspace(for: vit, batchSize: expected[0])
        if features == .tokens {
            let layer = self.layer ?? -1
            let result = try vit.tokens(images, layer: layer, finalNorm: finalNorm, workspace: workspace)
            if let output { try NpyFile.write(result.tokens, to: output) }
            printError("note: " + Self.tokensNote(config, layer: layer, normApplied: result.normApplied, forced: finalNorm != nil))
            print("tokens \(Shape.describe(result.tokens.shape)) (images, tokens, width)")
            return
        }
        let logits = try vit.forward(images, workspace: workspace)
        if let output { try NpyFile.write(logits, to: output) }
        let isFeatures = checkpoint.config.numClasses == 0
        if json {
            print(TopK.json(logits, k: top, labels: classNames, inputs: isNpy ? nil : try ImageBatchLoader.expand(input), isFeatures: isFeatures))
        } else {
            print(TopK.render(logits, k: top, labels: classNames, isFeatures: isFeatures))
        }
        if let attention {
            try RunPlots.attention(vit, images: images, checkpoint: checkpoint, model: model, output: attention, data: plotData)
        }
        if plot.count == 2 {
            try RunPlots.attentionDistance(vit, images: images, checkpoint: checkpoint, model: model, output: plot[1], data: plotData)
        }
        if let n = repetitions {
            let times = try measure(times: n) { _ = try vit.forward(images, workspace: workspace) }
            printError(String(format: "forward median_ms=%.3f min_ms=%.3f", times.median, times.min))
        }
    }

    /// The model at the input's height and width: when they differ from the checkpoint's, the position embedding
    /// is interpolated with the checkpoint's run-time rule (the source library's, or `--interpolate`), said in a note.
    static func atInputSize(_ ck: CanonicalCheckpoint, imageShape: [Int], input: String) throws -> (ViTConfig, [String: Tensor]) {
        guard imageShape.count == 4, [imageShape[2], imageShape[3]] != ck.config.imageSize,
              imageShape[1] == ck.config.inChannels, imageShape[0] > 0 else { return (ck.config, ck.tensors) }
        let size = [imageShape[2], imageShape[3]], c = ck.config
        guard size[0] % c.patchSize[0] == 0, size[1] % c.patchSize[1] == 0 else {
            throw NpyError.unexpectedArray(
                file: input, expected: "images whose height and width are whole numbers of the model's \(c.patchSize[0])x\(c.patchSize[1]) patches "
                    + "(the checkpoint's own size is \(c.imageSize[0])x\(c.imageSize[1]))",
                found: "\(size[0])x\(size[1])")
        }
        let r = try c.resized(to: size, tensors: ck.tensors)
        printError("note: the input is \(size[0])x\(size[1]), the checkpoint \(c.imageSize[0])x\(c.imageSize[1]): position "
                   + "embedding interpolated at run time, \(c.posEmbedRule.rawValue) (\(c.posEmbedRule.source); "
                   + "--interpolate to choose another rule)")
        return (r.config, r.tensors)
    }

    /// Says which tokens were written and whether the final norm was applied.
    static func tokensNote(_ c: ViTConfig, layer: Int, normApplied: Bool, forced: Bool) -> String {
        let block = layer < 0 ? c.depth + 1 + layer : layer
        var order = [String]()
        if c.classToken { order.append("class") }
        if c.distilled { order.append("distillation") }
        if c.registerTokens > 0 { order.append("\(c.registerTokens) register\(c.registerTokens == 1 ? "" : "s")") }
        order.append("\(c.numPatches) patches")
        let norm: String
        if !c.finalNorm {
            norm = "the model has no final norm"
        } else if normApplied {
            norm = "final norm applied" + (forced ? " (--final-norm)" : " (the default for the last layer; --no-final-norm for the raw block output)")
        } else {
            norm = "final norm not applied" + (forced ? " (--no-final-norm)" : " (applied by default only after the last layer; --final-norm to apply it)")
        }
        return "tokens after block \(block) of \(c.depth) (\(order.joined(separator: ", "))); \(norm)"
    }

    /// Maps the checkpoint; when its patch grid is not square and nothing records the image size, the grid comes
    /// from the input's H×W if that divides exactly into the patch-token count (said in a note).
    static func loadCanonical(_ source: TensorSource, options: MappingOptions, imageShape: [Int]) throws -> CanonicalCheckpoint {
        do {
            return try ViTMapper.loadCanonical(source, options: options)
        } catch let error as MappingError {
            guard case .cannotInferGrid = error, options.imageSize == nil, imageShape.count == 4 else { throw error }
            var retry = options
            retry.imageSize = [imageShape[2], imageShape[3]]
            guard let checkpoint = try? ViTMapper.loadCanonical(source, options: retry) else { throw error }
            printError("note: image size \(imageShape[2])x\(imageShape[3]) taken from the input "
                       + "(the checkpoint's patch grid is not square and no metadata records it)")
            return checkpoint
        }
    }
}

extension Precision: ExpressibleByArgument {}
