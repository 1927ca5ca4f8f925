import ArgumentParser
import Foundation
import ViTCLI
import ViTFormats
import ViTMapping
import ViTModel
import ViTRuntime
import ViTNumpy
import ViTTensor

/// `vit-run MODEL --input X.npy`: runs any checkpoint ViTKit reads on a batch of images.
@main
struct VitRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vit-run",
        abstract: "Run a ViT checkpoint on a batch of images (float32 NCHW .npy) and print the top classes.",
        discussion: "MODEL is any checkpoint ViTKit reads: \(CheckpointFormat.readableDescription).")

    @Argument(help: "The checkpoint (a file or a folder).") var model: String
    @Option(help: "Images: float32 NCHW .npy (v1-v3, little-endian, C order), already normalised.") var input: String
    @Option(help: "Write the logits here as float32 [N, classes] .npy.") var output: String?
    @Option(help: "Classes to print per image.") var top = 5
    @Option(name: .customLong("repeat"), help: "Time N forward passes after one warm-up; the last stderr line gives median and min.")
    var repetitions: Int?
    @Option(help: "Threads for the forward pass (default: all cores).") var threads: Int?
    @OptionGroup var mapping: MappingArguments

    func validate() throws {
        if top < 0 { throw ValidationError("--top must be 0 or more, found \(top)") }
        if let r = repetitions, r <= 0 { throw ValidationError("--repeat must be positive, found \(r)") }
        if let t = threads, t <= 0 { throw ValidationError("--threads must be positive, found \(t)") }
    }

    func run() throws {
        let images = try ImageBatch.load(input)
        let source = try CheckpointOpener.open(model)
        let checkpoint = try Self.loadCanonical(source, options: mapping.options, imageShape: images.shape)
        for line in describe(checkpoint.report) where checkpoint.report.headsSource == .assumedHeadDim64 || line.hasPrefix("note") {
            printError(line)
        }
        let vit = try VisionTransformer(config: checkpoint.config, tensors: checkpoint.tensors,
                                        threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let expected = vit.inputShape(batch: images.shape.first ?? 0)
        guard images.shape == expected else {
            throw NpyError.unexpectedArray(file: input, expected: "images of shape \(Shape.describe(expected)) for this model",
                                           found: "shape \(Shape.describe(images.shape))")
        }
        let workspace = ViTWorkspace(for: vit, batchSize: expected[0])
        let logits = try vit.forward(images, workspace: workspace)
        if let output { try NpyFile.write(logits, to: output) }
        print(TopK.render(logits, k: top, labels: checkpoint.config.labels, isFeatures: checkpoint.config.numClasses == 0))
        if let n = repetitions {
            let times = try measure(times: n) { _ = try vit.forward(images, workspace: workspace) }
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
