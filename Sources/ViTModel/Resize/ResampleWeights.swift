#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The 1-D interpolation weights along one axis, computed with PyTorch's CPU formulas and its
/// float32 arithmetic (aten/src/ATen/native/UpSample.h and cpu/UpSampleKernel.cpp).
///
/// Each output position has a list of taps (input index, weight) in the order PyTorch sums them.
/// Indices are already clamped to the input (bicubic edge taps may repeat an index).
public struct ResampleWeights: Sendable, Equatable {
    /// Input length along the axis.
    public let inputSize: Int
    /// Output length along the axis.
    public let outputSize: Int
    /// Taps of output `i` are `indices[starts[i] ..< starts[i + 1]]` and `weights[...]`.
    public let starts: [Int]
    /// Input index of every tap.
    public let indices: [Int]
    /// Weight of every tap.
    public let weights: [Float]
    /// True for bicubic without antialias: exactly 4 taps per output, summed as PyTorch's unrolled loop.
    let isUnrolledCubic: Bool

    /// Computes the weights of one axis.
    /// - Parameters:
    ///   - inputSize: input length (> 0).
    ///   - outputSize: output length (> 0).
    ///   - mode: bilinear or bicubic.
    ///   - antialias: PyTorch's `antialias=` (separable filter with support scaled by the downscale factor).
    ///   - alignCorners: PyTorch's `align_corners=`.
    ///   - scaleFactor: PyTorch's `scale_factor=` for this axis: the coordinate scale is then `1/scaleFactor`
    ///     (computed in double, rounded to float) instead of `inputSize/outputSize` (DINOv2's +0.1 offset).
    public init(inputSize: Int, outputSize: Int, mode: PosEmbedInterpolation, antialias: Bool, alignCorners: Bool,
                scaleFactor: Double? = nil) {
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.isUnrolledCubic = mode == .bicubic && !antialias
        var starts = [0]
        var indices: [Int] = []
        var weights: [Float] = []
        var scale = ResampleWeights.areaPixelScale(inputSize: inputSize, outputSize: outputSize, alignCorners: alignCorners)
        if let f = scaleFactor, f > 0, !alignCorners { scale = Float(1.0 / f) }
        if antialias {
            ResampleWeights.antialiasTaps(inputSize: inputSize, outputSize: outputSize, scale: scale, mode: mode,
                                          starts: &starts, indices: &indices, weights: &weights)
        } else {
            for i in 0..<outputSize {
                switch mode {
                case .bilinear:
                    let (i0, i1, l0, l1) = ResampleWeights.linearPair(scale: scale, output: i, inputSize: inputSize,
                                                                        outputSize: outputSize, alignCorners: alignCorners)
                    indices += [i0, i1]
                    weights += [l0, l1]
                case .bicubic:
                    let x = ResampleWeights.sourceIndex(scale: scale, output: i, alignCorners: alignCorners, cubic: true)
                    let (i0, t) = ResampleWeights.guardIndexAndLambda(x, inputSize: inputSize)
                    let c = ResampleWeights.cubicCoefficients(t)
                    for j in 0..<4 {
                        indices.append(max(min(i0 + j - 1, inputSize - 1), 0))
                        weights.append(c[j])
                    }
                }
                starts.append(indices.count)
            }
        }
        self.starts = starts
        self.indices = indices
        self.weights = weights
    }

    /// The taps of output `i` as (input index, weight) pairs, in summation order.
    public func taps(ofOutput i: Int) -> [(index: Int, weight: Float)] {
        (starts[i]..<starts[i + 1]).map { (indices[$0], weights[$0]) }
    }

    /// Output `i` as a dense row of `inputSize` weights (taps on the same index added).
    public func denseRow(_ i: Int) -> [Float] {
        var row = [Float](repeating: 0, count: inputSize)
        for k in starts[i]..<starts[i + 1] { row[indices[k]] += weights[k] }
        return row
    }

    // MARK: PyTorch's formulas, in float32 as for float32 tensors

    /// `area_pixel_compute_scale<float>` with no explicit scale factor.
    static func areaPixelScale(inputSize: Int, outputSize: Int, alignCorners: Bool) -> Float {
        if alignCorners { return outputSize > 1 ? Float(inputSize - 1) / Float(outputSize - 1) : 0 }
        return Float(inputSize) / Float(outputSize)
    }

    /// `area_pixel_compute_source_index<float>`.
    static func sourceIndex(scale: Float, output: Int, alignCorners: Bool, cubic: Bool) -> Float {
        if alignCorners { return scale * Float(output) }
        let x = Float(-0.5).addingProduct(scale, Float(output) + 0.5)
        return (!cubic && x < 0) ? 0 : x
    }

    /// `guard_index_and_lambda`: the floor index (at most `inputSize − 1`) and the fraction clamped to [0, 1].
    static func guardIndexAndLambda(_ x: Float, inputSize: Int) -> (Int, Float) {
        let i0 = min(Int(floorf(x)), inputSize - 1)
        let lambda = min(max(x - Float(i0), 0), 1)
        return (i0, lambda)
    }

    /// `compute_source_index_and_lambda` (bilinear, no antialias): indices i0, i1 and weights λ0, λ1.
    static func linearPair(scale: Float, output: Int, inputSize: Int, outputSize: Int,
                           alignCorners: Bool) -> (Int, Int, Float, Float) {
        if inputSize == outputSize { return (output, output, 1, 0) }
        let x = sourceIndex(scale: scale, output: output, alignCorners: alignCorners, cubic: false)
        let (i0, lambda1) = guardIndexAndLambda(x, inputSize: inputSize)
        let i1 = i0 + (i0 < inputSize - 1 ? 1 : 0)
        return (i0, i1, 1 - lambda1, lambda1)
    }

    // PyTorch's x86-64 wheels build these kernels with FMA enabled and GCC's default
    // -ffp-contract=fast, so some `a * b + c` are fused and some are not. The fused/unfused choices
    // below were determined by comparing each weight bit for bit with torch 2.15 (AVX-512 kernels):
    // tools/fixtures_resize.py fixtures and docs/resize.md ("Floating-point details").

    /// `cubic_convolution1` as evaluated in the antialias filter: both multiply-adds fused.
    @inline(__always) static func cubic1Fused(_ x: Float, _ a: Float) -> Float {
        let inner = (-(a + 3)).addingProduct(a + 2, x)
        return Float(1).addingProduct(inner * x, x)
    }

    /// `cubic_convolution2` as evaluated in the antialias filter: all three multiply-adds fused.
    @inline(__always) static func cubic2Fused(_ x: Float, _ a: Float) -> Float {
        let t1 = (-(5 * a)).addingProduct(a, x)
        let t2 = (8 * a).addingProduct(t1, x)
        return (-(4 * a)).addingProduct(t2, x)
    }

    /// `cubic_convolution1` as evaluated in `get_cubic_upsample_coefficients`: the last add unfused.
    @inline(__always) static func cubic1(_ x: Float, _ a: Float) -> Float {
        let inner = (-(a + 3)).addingProduct(a + 2, x)
        return inner * x * x + 1
    }

    /// `cubic_convolution2` as evaluated in `get_cubic_upsample_coefficients`: the last add unfused.
    @inline(__always) static func cubic2(_ x: Float, _ a: Float) -> Float {
        let t1 = (-(5 * a)).addingProduct(a, x)
        let t2 = (8 * a).addingProduct(t1, x)
        return t2 * x - 4 * a
    }

    /// `get_cubic_upsample_coefficients<float>` with a = −0.75.
    static func cubicCoefficients(_ t: Float) -> [Float] {
        let a: Float = -0.75
        let x2 = 1 - t
        return [cubic2(t + 1, a), cubic1(t, a), cubic1(x2, a), cubic2(x2 + 1, a)]
    }

    /// The antialias filters (`HelperInterpLinear::aa_filter`, `HelperInterpCubic::aa_filter` with a = −0.5).
    static func antialiasFilter(_ x: Float, mode: PosEmbedInterpolation) -> Float {
        let ax = abs(x)
        switch mode {
        case .bilinear:
            return ax < 1 ? Float(1.0 - Double(ax)) : 0
        case .bicubic:
            let a: Float = -0.5
            if ax < 1 { return cubic1Fused(ax, a) }
            if ax < 2 { return cubic2Fused(ax, a) }
            return 0
        }
    }

    /// `_compute_index_ranges_weights` + `_compute_indices_min_size_weights_aa` for float32: a window
    /// `[xmin, xmin + xsize)` per output, weights renormalised to sum 1, no edge replication.
    /// The mixed float/double expressions reproduce C++'s promotions exactly.
    static func antialiasTaps(inputSize: Int, outputSize: Int, scale: Float, mode: PosEmbedInterpolation,
                              starts: inout [Int], indices: inout [Int], weights: inout [Float]) {
        let interpSize = mode == .bilinear ? 2.0 : 4.0
        let support = Float(scale >= 1 ? (interpSize * 0.5) * Double(scale) : interpSize * 0.5)
        let maxInterpSize = Int(support.rounded(.up)) * 2 + 1
        let invscale = Float(scale >= 1 ? 1.0 / Double(scale) : 1.0)
        for i in 0..<outputSize {
            let center = Float(Double(scale) * (Double(i) + 0.5))
            let xmin = max(Int(Double(center - support) + 0.5), 0)
            var xsize = min(Int(Double(center + support) + 0.5), inputSize) - xmin
            xsize = min(max(xsize, 0), maxInterpSize)
            var w = [Float](repeating: 0, count: xsize)
            var total: Float = 0
            for j in 0..<xsize {
                let arg = Float((Double(Float(j + xmin) - center) + 0.5) * Double(invscale))
                w[j] = antialiasFilter(arg, mode: mode)
                total += w[j]
            }
            if total != 0 { for j in 0..<xsize { w[j] /= total } }
            for j in 0..<xsize {
                indices.append(xmin + j)
                weights.append(w[j])
            }
            starts.append(indices.count)
        }
    }
}
