import ViTTensor

extension ViTConfig.PosEmbedRule {
    /// The source library that resizes this way at run time, for reports and docs.
    public var source: String {
        switch self {
        case .bicubicAntialias: return "timm resample_abs_pos_embed; HF Dinov2WithRegisters; original DINOv2 with registers"
        case .bicubic: return "HF interpolate_pos_encoding (ViT, DeiT, CLIP, SigLIP, ViTMAE, Dinov2)"
        case .dinov2Offset: return "original DINOv2 without registers (scale_factor with the +0.1 offset)"
        case .bilinear: return "timm _load_weights / big_vision (bilinear, no antialias)"
        }
    }
}

extension ViTConfig {
    /// Rows of `pos_embed` before the grid (the prefix tokens it covers).
    public var posEmbedPrefixRows: Int { posEmbedTokens - numPatches }

    /// The model at another input size: the config with `imageSize` changed and the position embedding
    /// interpolated as the source library does at run time (`rule`, default `posEmbedRule`), in float32.
    ///
    /// The prefix rows are kept; the grid is resized from `gridSize` to `size / patchSize`. Other tensors are
    /// shared. The same size returns the inputs unchanged.
    /// - Parameters:
    ///   - size: the new image (height, width); each must be a multiple of the patch size.
    ///   - tensors: canonical tensors of this config.
    ///   - rule: overrides the config's `posEmbedRule` (vit-run `--interpolate`).
    /// - Returns: the new config (its `posEmbedRule` set to the rule used) and tensors.
    /// - Throws: `ViTConfigError.patchesDoNotTile`, `ViTModelError.missingTensors` without a `pos_embed`,
    ///   and `ResizeError` from the resampler.
    public func resized(to size: [Int], tensors: [String: Tensor], rule: PosEmbedRule? = nil) throws
        -> (config: ViTConfig, tensors: [String: Tensor]) {
        let rule = rule ?? posEmbedRule
        guard size.count == 2, size[0] > 0, size[1] > 0, size[0] % patchSize[0] == 0, size[1] % patchSize[1] == 0 else {
            throw ViTConfigError.patchesDoNotTile(imageSize: size, patchSize: patchSize)
        }
        var c = self
        c.imageSize = size
        c.posEmbedRule = rule
        if size == imageSize { return (c, tensors) }
        guard let pos = tensors["pos_embed"] else { throw ViTModelError.missingTensors(["pos_embed"]) }
        let old = (h: gridSize[0], w: gridSize[1]), new = (h: c.gridSize[0], w: c.gridSize[1])
        let pos32 = try pos.converted(to: .f32)
        let out: Tensor
        switch rule {
        case .bicubicAntialias:
            out = try resamplePositionEmbedding(pos32, prefixTokens: posEmbedPrefixRows, oldGrid: old, newGrid: new,
                                                mode: .bicubic, antialias: true)
        case .bicubic:
            out = try resamplePositionEmbedding(pos32, prefixTokens: posEmbedPrefixRows, oldGrid: old, newGrid: new,
                                                mode: .bicubic, antialias: false)
        case .bilinear:
            out = try resamplePositionEmbedding(pos32, prefixTokens: posEmbedPrefixRows, oldGrid: old, newGrid: new,
                                                mode: .bilinear, antialias: false)
        case .dinov2Offset:
            // `scale_factor=((h0 + 0.1)/M, (w0 + 0.1)/M)` in double, as dinov2's interpolate_pos_encoding.
            out = try resamplePositionEmbedding(pos32, prefixTokens: posEmbedPrefixRows, oldGrid: old, newGrid: new,
                                                mode: .bicubic, antialias: false,
                                                scaleFactors: ((Double(new.h) + 0.1) / Double(old.h), (Double(new.w) + 0.1) / Double(old.w)))
        }
        var t = tensors
        t["pos_embed"] = out
        return (c, t)
    }
}
