// vitkit-example: the ViTKit library contract, end to end.
//
//   swift run vitkit-example CHECKPOINT [--heads N] [OUTPUT.bin]
//
// Opens any checkpoint ViTKit reads, prints its config and how it was understood, runs the model on a
// synthetic image and, given an output path, writes the canonical model there (format from the extension).
import Foundation
import ViTKit

var arguments = Array(CommandLine.arguments.dropFirst())
var options = CheckpointOptions()
if let i = arguments.firstIndex(of: "--heads"), i + 1 < arguments.count, let heads = Int(arguments[i + 1]) {
    options.heads = heads   // for checkpoints that do not record their attention heads
    arguments.removeSubrange(i...(i + 1))
}
guard let path = arguments.first else {
    FileHandle.standardError.write(Data("usage: vitkit-example CHECKPOINT [--heads N] [OUTPUT.bin|.safetensors|.h5]\n".utf8))
    exit(2)
}

do {
    let checkpoint = try Checkpoint.open(path, options: options)
    let config = checkpoint.config
    print("config: depth \(config.depth), width \(config.embedDim), heads \(config.numHeads), "
          + "image \(config.imageSize.height)x\(config.imageSize.width), channels \(config.inChannels)")
    for line in checkpoint.report.lines { print(line) }

    let model = try checkpoint.model()
    let (h, w) = (config.imageSize.height, config.imageSize.width)
    // A smooth synthetic image in [-1, 1], the same for every channel offset by its index.
    let pixels = (0..<(config.inChannels * h * w)).map { i in Float(sin(Double(i) * 0.01)) }
    let images = try Tensor(shape: [1, config.inChannels, h, w], float32: pixels)
    let output = try model(images)
    let values = output.floats()
    let kind = config.numClasses > 0 ? "logits" : "embedding"
    print("output: \(kind) \(output.shape), first \(values.prefix(3).map { String(format: "%.5f", $0) })")

    if arguments.count > 1 {
        let out = arguments[1]
        let written = try checkpoint.write(to: out, overwrite: true)
        print("wrote \(written.output): \(written.tensorCount) tensors, \(written.bytesWritten) bytes")
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
