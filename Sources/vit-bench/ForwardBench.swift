import ArgumentParser
import Foundation
import ViTCLI
import ViTModel
import ViTRuntime
import ViTTensor

/// `vit-bench forward`: the forward pass of a timm-sized ViT with random weights.
struct ForwardBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Time the forward pass of ViT-Ti/S/B/L/16 at 224x224 with random weights (reused workspace).")

    @Argument(help: "tiny, small, base or large (timm vit_*_patch16_224 sizes).") var model: String
    @Option(help: "Images per forward pass.") var batch = 1
    @Option(name: .customLong("repeat"), help: "Timed repetitions after one warm-up.") var repetitions = 10
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Option(help: "fp32, bf16 or f16 (see vit-run --help).") var precision: Precision = .fp32
    @Flag(help: """
        Serve timed runs for an interleaving driver (tools/bench_paired.py): after one warm-up, print 'ready'; \
        then for each line N on standard input run N forward passes and print their times in ms on one line.
        """) var serve = false

    /// (embed dim, depth, heads) of timm's vit_{tiny,small,base,large}_patch16_224.
    static let sizes: [String: (Int, Int, Int)] = [
        "tiny": (192, 12, 3), "small": (384, 12, 6), "base": (768, 12, 12), "large": (1024, 24, 16),
    ]

    func validate() throws {
        guard Self.sizes[model] != nil else { throw ValidationError("unknown model '\(model)': tiny, small, base or large") }
        guard batch > 0, repetitions > 0 else { throw ValidationError("--batch and --repeat must be positive") }
    }

    func run() throws {
        let (d, depth, heads) = Self.sizes[model]!
        let config = ViTConfig(embedDim: d, depth: depth, numHeads: heads)
        var rng = SplitMix64Generator(seed: 0x5EED)  // seeded: every run times the same weights and input
        var tensors: [String: Tensor] = [:]
        for t in config.canonicalTensors {
            let n = t.shape.reduce(1, *)
            let scale: Float = t.name.hasSuffix(".weight") && t.shape.count == 1 ? 1 : 0.02
            let values = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) * scale }
            tensors[t.name] = try Tensor(shape: t.shape, float32: values)
        }
        let vit = try VisionTransformer(config: config, tensors: tensors,
                                        threads: threads ?? ProcessInfo.processInfo.activeProcessorCount,
                                        precision: precision)
        if let note = vit.precisionNote { FileHandle.standardError.write(Data((note + "\n").utf8)) }
        let images = (0..<(batch * 3 * 224 * 224)).map { _ in Float.random(in: -1...1, using: &rng) }
        var out = [Float](repeating: 0, count: batch * vit.outputWidth)
        let ws = ViTWorkspace(for: vit, batchSize: batch)
        try images.withUnsafeBufferPointer { img in
            try out.withUnsafeMutableBufferPointer { o in
                let pass = { try vit.forward(images: img, batchSize: batch, into: o, workspace: ws) }
                if serve { try serveRuns(pass) } else { report(try measure(times: repetitions, pass), vit) }
            }
        }
    }

    /// One line: the kernels that ran (ViTKit's own, avx512 or avx2, or the portable path's GEMM library), the
    /// precision that ran, the model, and the median and minimum time.
    private func report(_ t: (median: Double, min: Double), _ vit: VisionTransformer) {
        let kernels = KernelInfo.isa == "off" ? "portable-" + GEMMInfo.backend : KernelInfo.isa
        let ran = vit.precisionNote == nil ? precision.rawValue : Precision.fp32.rawValue
        print(String(format: "vitkit-forward-%@-%@ vit_%@_patch16_224 batch=%d median_ms=%.2f min_ms=%.2f",
                     kernels, ran, model, batch, t.median, t.min))
    }
}

/// The `--serve` loop: a warm-up, `ready`, then for each line `N` of standard input N timed runs, their
/// times (ms) printed on one line; ends at end of input or on a line that is not a positive number.
private func serveRuns(_ pass: () throws -> Void) throws {
    let say = { (line: String) in FileHandle.standardOutput.write(Data((line + "\n").utf8)) }  // unbuffered
    try pass()
    say("ready")
    while let line = readLine(), let n = Int(line.trimmingCharacters(in: .whitespaces)), n > 0 {
        let times = try (0..<n).map { _ in String(format: "%.3f", try milliseconds(pass)) }
        say(times.joined(separator: " "))
    }
}

extension Precision: ExpressibleByArgument {}

/// SplitMix64: a seeded generator, so the random weights cost no system call per value (the system
/// generator made setting up ViT-B take seconds) and every run times the same numbers.
struct SplitMix64Generator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
