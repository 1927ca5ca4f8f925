import ViTTensor

/// Resizes the grid part of a position embedding exactly as PyTorch's `F.interpolate` does on the
/// CPU for a float32 tensor, keeping the prefix rows (class, distillation, register tokens) unchanged.
///
/// The embedding is `tokens` rows of `embedDim` values (row-major); rows `prefixTokens...` are the
/// grid, row-major (row = y). Nothing is guessed: both grids are given. Equal grids return the
/// input unchanged.
/// - Parameters:
///   - posEmbed: `tokens × embedDim` values, row-major.
///   - embedDim: the row width D.
///   - prefixTokens: rows before the grid, copied unchanged.
///   - oldGrid: the grid the rows hold (`tokens` must equal `prefixTokens + h·w`).
///   - newGrid: the grid to produce.
///   - mode: bilinear or bicubic.
///   - antialias: PyTorch's `antialias=`.
///   - alignCorners: PyTorch's `align_corners=` (timm and Hugging Face: false; torchvision: true).
/// - Returns: `(prefixTokens + newH·newW) × embedDim` values.
/// - Throws: `ResizeError` for a non-positive width or grid, a negative prefix, or a row count that
///   is not `prefixTokens + oldH·oldW`.
public func resamplePositionEmbedding(_ posEmbed: [Float], embedDim: Int, prefixTokens: Int,
                                      oldGrid: (h: Int, w: Int), newGrid: (h: Int, w: Int),
                                      mode: PosEmbedInterpolation, antialias: Bool,
                                      alignCorners: Bool = false) throws -> [Float] {
    let plan = try ResamplePlan(valueCount: posEmbed.count, embedDim: embedDim, prefixTokens: prefixTokens,
                                oldGrid: oldGrid, newGrid: newGrid)
    if plan.isIdentity { return posEmbed }
    let d = embedDim
    var out = [Float](repeating: 0, count: plan.outputTokens * d)
    posEmbed.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for k in 0..<(prefixTokens * d) { dst[k] = src[k] }
            let grid = UnsafeBufferPointer(rebasing: src[(prefixTokens * d)...])
            let target = UnsafeMutableBufferPointer(rebasing: dst[(prefixTokens * d)...])
            GridResampler(old: oldGrid, new: newGrid, channels: d, mode: mode, antialias: antialias,
                          alignCorners: alignCorners).run(grid, into: target)
        }
    }
    return out
}

/// Resizes a position-embedding tensor with `method` (a preset such as `.timm`, or explicit settings).
/// See the other overload for the parameters.
public func resamplePositionEmbedding(_ posEmbed: Tensor, prefixTokens: Int, oldGrid: (h: Int, w: Int),
                                      newGrid: (h: Int, w: Int), method: ResampleMethod) throws -> Tensor {
    try resamplePositionEmbedding(posEmbed, prefixTokens: prefixTokens, oldGrid: oldGrid, newGrid: newGrid,
                                  mode: method.mode, antialias: method.antialias, alignCorners: method.alignCorners)
}

/// Resizes a position-embedding tensor of shape `(1, tokens, D)` or `(tokens, D)` (vit-pytorch),
/// keeping its rank and dtype, as timm's `resample_abs_pos_embed` does: the grid rows are computed
/// in float32 and cast back to the original dtype (round to nearest even); prefix rows keep their
/// original bytes.
/// - Parameters:
///   - posEmbed: the tensor, dtype F32, F16, BF16 or F64.
///   - prefixTokens: rows before the grid, copied unchanged.
///   - oldGrid: the grid the tensor holds.
///   - newGrid: the grid to produce.
///   - mode: bilinear or bicubic.
///   - antialias: PyTorch's `antialias=`.
///   - alignCorners: PyTorch's `align_corners=`.
/// - Returns: the same tensor when the grids are equal, else a new tensor of shape
///   `(1, prefix + newH·newW, D)` (or without the leading 1).
/// - Throws: `ResizeError` for an unsupported shape or dtype and everything the array overload throws.
public func resamplePositionEmbedding(_ posEmbed: Tensor, prefixTokens: Int, oldGrid: (h: Int, w: Int),
                                      newGrid: (h: Int, w: Int), mode: PosEmbedInterpolation, antialias: Bool,
                                      alignCorners: Bool = false, scaleFactors: (h: Double, w: Double)? = nil) throws -> Tensor {
    let shape = posEmbed.shape
    let hasBatch: Bool
    switch shape.count {
    case 3 where shape[0] == 1: hasBatch = true
    case 2: hasBatch = false
    default: throw ResizeError.unsupportedShape(shape)
    }
    let dtype = posEmbed.dtype
    guard [.f32, .f16, .bf16, .f64].contains(dtype) else { throw ResizeError.unsupportedDType(dtype) }
    let d = shape[shape.count - 1]
    let plan = try ResamplePlan(valueCount: posEmbed.elementCount, embedDim: d, prefixTokens: prefixTokens,
                                oldGrid: oldGrid, newGrid: newGrid)
    if plan.isIdentity { return posEmbed }

    let prefixBytes = prefixTokens * d * dtype.byteSize
    let gridCount = oldGrid.h * oldGrid.w * d
    let outGridCount = newGrid.h * newGrid.w * d
    var grid = [Float](repeating: 0, count: gridCount)
    posEmbed.withUnsafeBytes { raw in
        grid.withUnsafeMutableBufferPointer { g in
            ElementConversion.toFloat32(UnsafeRawBufferPointer(rebasing: raw[prefixBytes...]), dtype: dtype,
                                        into: g.baseAddress!, count: gridCount)
        }
    }
    var resized = [Float](repeating: 0, count: outGridCount)
    grid.withUnsafeBufferPointer { g in
        resized.withUnsafeMutableBufferPointer { r in
            GridResampler(old: oldGrid, new: newGrid, channels: d, mode: mode, antialias: antialias,
                          alignCorners: alignCorners, scaleFactors: scaleFactors).run(g, into: r)
        }
    }
    let outShape = hasBatch ? [1, plan.outputTokens, d] : [plan.outputTokens, d]
    let storage = posEmbed.withUnsafeBytes { raw in
        ByteStorage(count: prefixBytes + outGridCount * dtype.byteSize) { out in
            if prefixBytes > 0 {
                out.baseAddress!.copyMemory(from: raw.baseAddress!, byteCount: prefixBytes)
            }
            resized.withUnsafeBufferPointer { r in
                ElementConversion.fromFloat32(r.baseAddress!, count: outGridCount, to: dtype,
                                              into: out.baseAddress! + prefixBytes)
            }
        }
    }
    return try Tensor(dtype: dtype, shape: outShape, storage: storage)
}

/// The validated sizes of one resize.
struct ResamplePlan {
    let outputTokens: Int
    let isIdentity: Bool

    init(valueCount: Int, embedDim: Int, prefixTokens: Int, oldGrid: (h: Int, w: Int), newGrid: (h: Int, w: Int)) throws {
        guard embedDim > 0 else { throw ResizeError.nonPositiveEmbedDim(embedDim) }
        guard prefixTokens >= 0 else { throw ResizeError.negativePrefixTokens(prefixTokens) }
        guard oldGrid.h > 0, oldGrid.w > 0 else { throw ResizeError.nonPositiveGrid(which: "old", h: oldGrid.h, w: oldGrid.w) }
        guard newGrid.h > 0, newGrid.w > 0 else { throw ResizeError.nonPositiveGrid(which: "new", h: newGrid.h, w: newGrid.w) }
        guard valueCount % embedDim == 0 else { throw ResizeError.valueCountNotRows(count: valueCount, embedDim: embedDim) }
        let tokens = valueCount / embedDim
        let (oldCells, o1) = oldGrid.h.multipliedReportingOverflow(by: oldGrid.w)
        guard !o1, tokens == prefixTokens + oldCells else {
            throw ResizeError.tokenCountMismatch(tokens: tokens, prefixTokens: prefixTokens, h: oldGrid.h, w: oldGrid.w)
        }
        let (newCells, o2) = newGrid.h.multipliedReportingOverflow(by: newGrid.w)
        let (outTokens, o3) = prefixTokens.addingReportingOverflow(newCells)
        let (_, o4) = outTokens.multipliedReportingOverflow(by: embedDim)
        guard !o2, !o3, !o4 else { throw ResizeError.sizeOverflow(tokens: outTokens, embedDim: embedDim) }
        outputTokens = outTokens
        isIdentity = oldGrid.h == newGrid.h && oldGrid.w == newGrid.w
    }
}
