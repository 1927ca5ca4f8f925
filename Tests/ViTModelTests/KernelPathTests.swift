import Testing
import ViTTensor
import ViTTestSupport
@testable import ViTModel
@testable import ViTRuntime

/// The forward pass on each of ViTKit's kernel sets (AVX-512, AVX2, and the portable path on oneDNN/OpenBLAS)
/// this CPU runs, against timm's logits and against each other on shapes no fixture has.
///
/// Tolerance: 1e-4 relative to timm, as `ParityTests`; 1e-5 between two kernel sets (the same Float32
/// products summed in another order).
@Suite("Kernel sets")
struct KernelPathTests {
    static let sets = CPUKernels.ISA.allCases.filter { CPUKernels.supports($0) }

    @Test("every kernel set gives timm's logits on 1, 2 and 3 threads", arguments: ModelFixture.names)
    func everySetMatchesTimm(name: String) throws {
        let f = try ModelFixture(name)
        let weights = try ViTWeights(config: f.config, tensors: f.tensors)
        for isa in Self.sets {
            for threads in [1, 2, 3] {
                let model = VisionTransformer(weights: weights, threads: threads, split: .auto, minimumChunkRows: 1,
                                              kernels: isa)
                #expect(model.kernels == isa)
                #expect((model.packed != nil) == (isa != .off))
                let err = relativeError(try model.forward(f.input).floats(), f.logits)
                #expect(err <= ParityTests.tolerance, "\(name) \(isa) \(threads) threads: relative error \(err)")
            }
        }
    }

    /// Widths that are not multiples of 16 or 48, heads × head_dim ≠ D, odd token counts (up to 785) and inner
    /// dimensions of every remainder: the panels' masked edges and partial row tiles.
    static let oddShapes: [(embed: Int, heads: Int, headDim: Int, hidden: Int, image: Int, patch: Int, act: ViTConfig.Activation)] = [
        (40, 5, 8, 72, 35, 7, .gelu),          // T = 26, D = 40, hidden 72
        (52, 2, 18, 100, 24, 4, .geluTanh),    // attn 36 ≠ D, T = 37
        (96, 3, 32, 200, 30, 6, .quickGelu),   // T = 26, fc1 200 = 4 panels + 8
        (20, 4, 5, 30, 12, 3, .relu),          // tiny: head_dim 5
        (64, 4, 16, 144, 16, 4, .swiglu),
        (64, 2, 32, 128, 224, 8, .gelu),       // T = 785: score strips over 17 key panels
    ]

    @Test("kernel sets agree on shapes no fixture has", arguments: 0..<oddShapes.count)
    func oddShapesAgree(index: Int) throws {
        let s = Self.oddShapes[index]
        var config = ViTConfig(imageSize: [s.image, s.image], patchSize: [s.patch, s.patch], embedDim: s.embed,
                               depth: 2, numHeads: s.heads, numClasses: 11)
        config.attnDim = s.heads * s.headDim
        config.mlpHiddenDim = s.hidden
        config.activation = s.act
        let weights = try RandomWeights.make(config, seed: UInt64(index + 1))
        var gen = SplitMix64(seed: 99)
        let input = try Tensor(shape: [2, 3, s.image, s.image],
                               float32: (0..<(2 * 3 * s.image * s.image)).map { _ in gen.uniform() })
        let reference = try VisionTransformer(weights: weights, threads: 1, split: .auto, kernels: .off).forward(input).floats()
        for isa in Self.sets where isa != .off {
            for threads in [1, 2] {
                let out = try VisionTransformer(weights: weights, threads: threads, split: .auto, minimumChunkRows: 1,
                                                kernels: isa).forward(input).floats()
                let err = relativeError(out, reference)
                #expect(err <= 1e-5, "shape \(index) \(isa) \(threads) threads: relative error \(err)")
            }
        }
    }
}

extension SplitMix64 {
    /// A uniform Float in [−1, 1).
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
}

/// Weights for every canonical tensor of a config: values in ±0.2 (norm weights 1 ± 0.2), deterministic.
enum RandomWeights {
    static func make(_ config: ViTConfig, seed: UInt64) throws -> ViTWeights {
        var gen = SplitMix64(seed: seed)
        var tensors: [String: Tensor] = [:]
        for t in config.canonicalTensors {
            let count = t.shape.reduce(1, *)
            let isNormWeight = t.name.hasSuffix("norm.weight") || t.name.contains("norm1.weight")
                || t.name.contains("norm2.weight")
            let values = (0..<count).map { _ in (isNormWeight ? 1 : 0) + 0.2 * gen.uniform() }
            tensors[t.name] = try Tensor(shape: t.shape, float32: values)
        }
        return try ViTWeights(config: config, tensors: tensors)
    }
}
