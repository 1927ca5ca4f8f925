import Testing
import ViTTensor
@testable import ViTModel
@testable import ViTRuntime

/// `Precision.f16` (block weights stored in IEEE half precision, Float32 products) against the fp32 forward pass
/// on every fixture of tools/fixtures_model.py.
///
/// Tolerance: max|f16 − fp32| / max(1, max|fp32|) ≤ 5e-3 (weights rounded to 11 significant bits, everything else
/// Float32), and the same top-1 class for every image.
@Suite("f16 weight storage")
struct F16Tests {
    static let tolerance: Float = 5e-3

    @Test("f16 stays within 5e-3 of fp32 with the same top-1", .enabled(if: CPUKernels.supports(.avx512)),
          arguments: ModelFixture.names)
    func closeToFP32(name: String) throws {
        let f = try ModelFixture(name)
        let weights = try ViTWeights(config: f.config, tensors: f.tensors)
        // Weights stored as f16 or bf16 in the checkpoint are exact in f16: then the outputs must not change.
        let exact = f.tensors.filter { $0.key.hasPrefix("blocks.") && $0.value.shape.count == 2 }
            .allSatisfy { $0.value.floats().allSatisfy { Float(Float16($0)) == $0 } }
        for (threads, split) in [(1, VisionTransformer.Split.auto), (2, .columns), (3, .rows)] {
            let fp32 = try VisionTransformer(weights: weights, threads: threads).forward(f.input).floats()
            let model = VisionTransformer(weights: weights, threads: threads, split: split, minimumChunkRows: 1,
                                          precision: .f16, kernels: .avx512)
            #expect(model.packed?.blocks == .f16)
            #expect(model.precisionNote == nil)
            let out = try model.forward(f.input).floats()
            let err = relativeError(out, fp32)
            #expect(err <= F16Tests.tolerance, "\(name) \(threads) threads by \(split): relative error \(err)")
            if exact {
                #expect(err < 1e-6, "\(name): weights exact in f16 changed the outputs by \(err)")
            } else {
                #expect(err > 0, "\(name): f16 gave fp32's exact outputs (the f16 weights were not used)")
            }
            let width = model.outputWidth
            for i in 0..<(fp32.count / width) {
                let a = Array(fp32[(i * width)..<((i + 1) * width)]), b = Array(out[(i * width)..<((i + 1) * width)])
                #expect(a.firstIndex(of: a.max()!) == b.firstIndex(of: b.max()!), "\(name) image \(i): top-1 differs")
            }
        }
    }

    @Test("without AVX-512 kernels f16 runs Float32 weights and says so", arguments: [CPUKernels.ISA.avx2, .off])
    func fallsBackToFP32(isa: CPUKernels.ISA) throws {
        let f = try ModelFixture("default")
        let weights = try ViTWeights(config: f.config, tensors: f.tensors)
        let model = VisionTransformer(weights: weights, threads: 2, split: .auto, precision: .f16, kernels: isa)
        #expect(model.packed?.blocks != .f16)
        #expect(model.precisionNote?.contains("f16 weight storage needs the AVX-512 kernels") == true)
        let fp32 = VisionTransformer(weights: weights, threads: 2, split: .auto, kernels: isa)
        #expect(try model.forward(f.input).floats() == fp32.forward(f.input).floats())
    }
}
