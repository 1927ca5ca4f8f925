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

/// `vit-run MODEL --input X.npy`: runs any checkpoint ViTKit reads on a batch of images.
@main
struct VitRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vit-run",
        abstract: "Run a ViT checkpoint on images (JPEG, PNG, or a float32 NCHW .npy batch) and print the top classes.",
        discussion: "MODEL is any checkpoint ViTKit reads: \(CheckpointFormat.readableDescription). JPEG and PNG inputs are "
            + "preprocessed as the checkpoint's own config says (timm pretrained_cfg, Hugging Face preprocessor_config.json, "
            + "else the family's defaults, said in a note); see docs/vit-run.md.")

    @Argument(help: "The checkpoint (a file or a folder).") var model: String
    @Option(parsing: .upToNextOption,
            help: "Images: JPEG/PNG files or folders of them, or one float32 NCHW .npy (v1-v3, little-endian, C order), already normalised.")
    var input: [String]
    @Option(help: "Write the logits here as float32 [N, classes] .npy.") var output: String?
    @Option(help: "Classes to print per image.") var top = 5
    @Option(name: .customLong("repeat"), help: "Time N forward passes after one warm-up; the last stderr line gives median and min.")
    var repetitions: Int?
    @Option(help: "Threads for the forward pass (default: all cores).") var threads: Int?
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
        let vit = try VisionTransformer(config: checkpoint.config, tensors: checkpoint.tensors,
                                        threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let expected = vit.inputShape(batch: images.shape.first ?? 0)
        guard images.shape == expected else {
            throw NpyError.unexpectedArray(file: input[0], expected: "images of shape \(Shape.describe(expected)) for this model",
                                           found: "shape \(Shape.describe(images.shape))")
        }
        let workspace = ViTWorkspace(for: vit, batchSize: expected[0])
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
            let times = try ForwardTimer.time(times: n) { _ = try vit.forward(images, workspace: workspace) }
            printError(String(format: "forward median_ms=%.3f min_ms=%.3f", times.median, times.min))
        }
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
