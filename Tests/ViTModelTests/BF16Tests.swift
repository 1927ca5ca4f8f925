import Testing
import ViTTensor
@testable import ViTModel
@testable import ViTRuntime

/// `Precision.bf16` against the fp32 forward pass on every fixture of tools/fixtures_model.py.
///
/// Tolerance: max|bf16 − fp32| / max(1, max|fp32|) ≤ 2e-2 (block products from bfloat16 inputs and
/// weights, 8 significant bits, accumulated in Float32), and the same top-1 class for every image.
@Suite("bf16 precision")
struct BF16Tests {
    static let tolerance: Float = 2e-2

    @Test("bf16 stays within 2e-2 of fp32 with the same top-1", .enabled(if: CPUKernels.bf16),
          arguments: ModelFixture.names)
    func closeToFP32(name: String) throws {
        let f = try ModelFixture(name)
        let weights = try ViTWeights(config: f.config, tensors: f.tensors)
        for (threads, split) in [(1, VisionTransformer.Split.auto), (2, .columns), (2, .rows), (3, .rows)] {
            let fp32 = try VisionTransformer(weights: weights, threads: threads).forward(f.input).floats()
            let model = VisionTransformer(weights: weights, threads: threads, split: split, minimumChunkRows: 1,
                                          precision: .bf16, kernels: .avx512)
            #expect(model.precision == .bf16)
            #expect(model.packed?.bf16 == true)
            #expect(model.precisionNote == nil)
            let bf16 = try model.forward(f.input).floats()
            let err = relativeError(bf16, fp32)
            #expect(err <= BF16Tests.tolerance, "\(name) \(threads) threads by \(split): relative error \(err)")
            #expect(err > 0, "\(name): bf16 gave fp32's exact outputs (the bf16 products did not run)")
            let width = model.outputWidth
            for i in 0..<(fp32.count / width) {
                let a = Array(fp32[(i * width)..<((i + 1) * width)]), b = Array(bf16[(i * width)..<((i + 1) * width)])
                #expect(a.firstIndex(of: a.max()!) == b.firstIndex(of: b.max()!), "\(name) image \(i): top-1 differs")
            }
        }
    }

    @Test("without AVX512_BF16 kernels bf16 runs the fp32 products and says so", arguments: [CPUKernels.ISA.avx2, .off])
    func fallsBackToFP32(isa: CPUKernels.ISA) throws {
        let f = try ModelFixture("default")
        let weights = try ViTWeights(config: f.config, tensors: f.tensors)
        let model = VisionTransformer(weights: weights, threads: 2, split: .auto, precision: .bf16, kernels: isa)
        #expect(model.packed?.bf16 != true)
        #expect(model.precisionNote?.contains("running the products in fp32") == true)
        let fp32 = VisionTransformer(weights: weights, threads: 2, split: .auto, kernels: isa)
        #expect(try model.forward(f.input).floats() == fp32.forward(f.input).floats())
    }

    @Test("rounding to bfloat16 is to nearest, ties to even, in the 16-lane body and the tail")
    func rounding() {
        let one: [Float] = [1, 1 + 1.0 / 256, 1 + 3.0 / 256, 1 + 1.0 / 512, -2.5, 0]
        let x = one + one + one
        var y = [UInt16](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { p in y.withUnsafeMutableBufferPointer { BFloat16.convert(p.baseAddress!, count: x.count, into: $0.baseAddress!) } }
        // 1 + 2⁻⁸ is halfway between 1 and 1 + 2⁻⁷: ties to the even 1; 1 + 3·2⁻⁸ ties up to 1 + 2⁻⁶.
        let expected: [UInt16] = [0x3F80, 0x3F80, 0x3F82, 0x3F80, 0xC020, 0]
        #expect(y == expected + expected + expected)
    }
}
