import ViTModel
import Foundation
import ViTTensor

/// A Vision Transformer ready to run on the CPU: timm `VisionTransformer.forward` in eval mode.
///
/// Immutable and `Sendable`; each concurrent caller brings its own `ViTWorkspace`.
public final class VisionTransformer: Sendable {
    /// How the forward pass divides work between threads (OpenBLAS itself runs single-threaded).
    enum Split: Sendable {
        /// Columns while each thread gets at least 64 columns of the embedding width (always on 2 cores),
        /// rows (given two chunks of `minimumChunkRows` per thread) beyond.
        case auto
        /// Token rows in chunks; threads meet only around attention.
        case rows
        /// Output columns of each product; every thread norms all rows into its own buffer.
        case columns
    }

    /// The weights (and through them the config).
    public let weights: ViTWeights
    /// Threads the forward pass uses.
    public let threads: Int
    let split: Split
    /// The smallest row chunk worth a product of its own (tests set 1 to force every parallel path).
    let minimumChunkRows: Int
    let dims: ForwardDims
    /// The products' number format.
    public let precision: Precision
    /// The product weights packed for ViTKit's kernels (nil when this CPU has neither AVX-512 nor AVX2, or
    /// `VITKIT_KERNELS=off`: the portable path on `GEMM`); the block products in bf16 when `precision` is bf16
    /// and the CPU has AVX512_BF16, stored in f16 when it is f16 and the kernels are AVX-512.
    let packed: PackedWeights?
    /// The instruction set of the kernels `packed` is run by (`.off`: the portable path).
    let kernels: CPUKernels.ISA

    /// Said once when `precision` asks for a format this CPU (or `VITKIT_KERNELS`) has no kernels for: bf16
    /// without AVX512_BF16, f16 without AVX-512. The products then run in fp32; nil otherwise.
    public var precisionNote: String? {
        switch precision {
        case .fp32: return nil
        case .bf16:
            guard packed?.blocks != .bf16 else { return nil }
            return "note: this CPU has no AVX512_BF16 instructions (or VITKIT_KERNELS disables them); "
                + "running the products in fp32 instead (the fp32 results)"
        case .f16:
            guard packed?.blocks != .f16 else { return nil }
            return "note: f16 weight storage needs the AVX-512 kernels, which this CPU (or VITKIT_KERNELS) does not "
                + "give; running Float32 weights instead (the fp32 results)"
        }
    }

    /// The config of the weights.
    public var config: ViTConfig { weights.config }

    /// Width of each output row: `numClasses`, or `featureDim` for a model without a head.
    public var outputWidth: Int { dims.outputs }

    /// A model over checked weights.
    /// - Parameters:
    ///   - weights: Weights checked against their config.
    ///   - threads: Threads for the forward pass (default: every active processor).
    ///   - precision: Number format of the block products (default fp32).
    public convenience init(weights: ViTWeights, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                            precision: Precision = .fp32) {
        self.init(weights: weights, threads: threads, split: .auto, precision: precision)
    }

    /// - Parameter kernels: The kernels to run (tests compare them); one this CPU lacks runs the portable path.
    init(weights: ViTWeights, threads: Int, split: Split, minimumChunkRows: Int = 64, precision: Precision = .fp32,
         kernels: CPUKernels.ISA = CPUKernels.selected) {
        self.weights = weights
        self.threads = max(1, threads)
        self.split = split
        self.minimumChunkRows = max(1, minimumChunkRows)
        self.dims = ForwardDims(weights.config)
        self.precision = precision
        let isa = CPUKernels.supports(kernels) ? kernels : .off
        self.kernels = isa
        let blocks: PackedWeights.Kind
        switch precision {
        case .bf16 where isa == .avx512 && CPUKernels.bf16: blocks = .bf16
        case .f16 where isa == .avx512: blocks = .f16
        default: blocks = .f32
        }
        self.packed = isa == .off ? nil : PackedWeights(weights.layout, blocks: blocks)
    }

    /// Checks `tensors` against `config` (see `ViTWeights.init`) and builds the model.
    /// - Parameters:
    ///   - config: The model config.
    ///   - tensors: Canonical timm names to tensors of any floating-point dtype.
    ///   - threads: Threads for the forward pass.
    ///   - precision: Number format of the block products (default fp32).
    /// - Throws: `ViTModelError` as `ViTWeights.init` does.
    public convenience init(config: ViTConfig, tensors: [String: Tensor],
                            threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                            precision: Precision = .fp32) throws {
        self.init(weights: try ViTWeights(config: config, tensors: tensors), threads: threads, precision: precision)
    }

    /// The input shape for `batch` images: [batch, C, H, W].
    /// - Parameter batch: Number of images.
    public func inputShape(batch: Int) -> [Int] { [batch, dims.channels, dims.height, dims.width] }

    /// Runs a batch of images.
    /// - Parameters:
    ///   - input: [N, C, H, W] images of any floating-point dtype, already normalised as the model
    ///     expects; H and W must equal the config's image size.
    ///   - workspace: Scratch memory to reuse across calls (a fresh one when nil).
    /// - Returns: Float32 [N, outputWidth]: logits, or pooled features when the model has no head.
    /// - Throws: `ViTModelError.nonFloatDType`, `.inputShape` or `.emptyBatch`.
    public func forward(_ input: Tensor, workspace: ViTWorkspace? = nil) throws -> Tensor {
        let n = try batchSize(of: input)
        let ws = workspace ?? ViTWorkspace()
        ws.reserve(dims, batch: n, threads: threads)
        input.copyFloat32(into: UnsafeMutableBufferPointer(start: ws.image, count: n * dims.imageLength))
        var out = [Float](repeating: 0, count: n * dims.outputs)
        out.withUnsafeMutableBufferPointer { o in
            if let p = o.baseAddress { run(images: ws.image, batch: n, workspace: ws, output: p) }
        }
        return try Tensor(shape: [n, dims.outputs], float32: out)
    }

    /// The batch size of an input the model can run: [N, C, H, W] floating point, C, H, W the model's, N > 0.
    /// - Throws: `ViTModelError.nonFloatDType`, `.inputShape` or `.emptyBatch`.
    private func batchSize(of input: Tensor) throws -> Int {
        guard input.dtype.isFloatingPoint else { throw ViTModelError.nonFloatDType(tensor: "input", dtype: input.dtype) }
        let s = input.shape
        let n = s.first ?? 0
        guard s.count == 4, s[1] == dims.channels, s[2] == dims.height, s[3] == dims.width else {
            throw ViTModelError.inputShape(expected: inputShape(batch: s.count == 4 ? n : 1), found: s)
        }
        guard n > 0 else { throw ViTModelError.emptyBatch }
        return n
    }

    /// The tokens of one layer: every token (class, distillation, registers, patches, in that order) after block
    /// `layer`, optionally through the final `norm`.
    /// - Parameters:
    ///   - input: [N, C, H, W] images, as for `forward`.
    ///   - layer: The block, 1 ... depth, or counted from the end: -1 is the last block, -2 the penultimate.
    ///   - finalNorm: Apply the model's final `norm` to the tokens (nil: only when `layer` is the last block, as
    ///     timm `forward_features` and HF Dinov2/SigLIP `last_hidden_state` do; HF CLIP's `last_hidden_state`
    ///     is before `post_layernorm`). A model without a final norm ignores it.
    ///   - workspace: Scratch memory to reuse (a fresh one when nil).
    /// - Returns: Float32 [N, tokens, D] and whether the final norm was applied.
    /// - Throws: `ViTModelError.layerOutOfRange` and the errors of `forward`.
    public func tokens(_ input: Tensor, layer: Int, finalNorm: Bool? = nil, workspace: ViTWorkspace? = nil) throws
        -> (tokens: Tensor, normApplied: Bool) {
        let depth = config.depth
        let block = layer < 0 ? depth + 1 + layer : layer
        guard layer != 0, (1...depth).contains(block) else { throw ViTModelError.layerOutOfRange(layer: layer, depth: depth) }
        let n = try batchSize(of: input)
        let norm = weights.layout.norm != nil && (finalNorm ?? (block == depth))
        let ws = workspace ?? ViTWorkspace()
        ws.reserve(dims, batch: n, threads: threads)
        input.copyFloat32(into: UnsafeMutableBufferPointer(start: ws.image, count: n * dims.imageLength))
        var out = [Float](repeating: 0, count: n * dims.tokens * dims.embed)
        out.withUnsafeMutableBufferPointer { o in
            if let p = o.baseAddress {
                run(images: ws.image, batch: n, workspace: ws, output: p, tokens: TokenRequest(blocks: block, norm: norm))
            }
        }
        return (try Tensor(shape: [n, dims.tokens, dims.embed], float32: out), norm)
    }

    /// Runs a batch of Float32 NCHW images from raw memory into raw memory, allocating nothing once
    /// the workspace has grown to the batch: the call to time in benchmarks.
    /// - Parameters:
    ///   - images: batchSize × C × H × W floats, NCHW.
    ///   - batchSize: Number of images.
    ///   - output: Room for batchSize × `outputWidth` floats.
    ///   - workspace: Scratch memory, reused across calls.
    /// - Throws: `ViTModelError.emptyBatch`, `.inputCount` or `.outputCount`.
    public func forward(images: UnsafeBufferPointer<Float>, batchSize: Int,
                        into output: UnsafeMutableBufferPointer<Float>, workspace: ViTWorkspace) throws {
        guard batchSize > 0 else { throw ViTModelError.emptyBatch }
        let need = batchSize * dims.imageLength
        guard images.count == need, let src = images.baseAddress else {
            throw ViTModelError.inputCount(expected: need, found: images.count)
        }
        let outNeed = batchSize * dims.outputs
        guard output.count == outNeed, let dst = output.baseAddress else {
            throw ViTModelError.outputCount(expected: outNeed, found: output.count)
        }
        workspace.reserve(dims, batch: batchSize, threads: threads)
        run(images: src, batch: batchSize, workspace: workspace, output: dst)
    }
}
