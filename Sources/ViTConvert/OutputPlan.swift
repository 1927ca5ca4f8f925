import ViTMapping
import ViTModel
import ViTTensor

/// What a conversion will write, decided from headers only: the config, and for each output tensor
/// its name, dtype, shape and the mapping entry it is built from.
struct OutputPlan {
    /// One output tensor.
    struct Item {
        /// The mapping entry (sources and transform).
        let entry: PlannedTensor
        /// Name, dtype and shape as written.
        let info: TensorInfo
        /// True for `pos_embed` when the grid changes.
        let resamples: Bool
    }

    /// The config written (with the new image size after a resize).
    let config: ViTConfig
    /// The output tensors in file order.
    let items: [Item]
    /// The resize, when one was asked for.
    let resize: ResizeSummary?

    /// Plans the output of a mapped checkpoint.
    /// - Parameters:
    ///   - mapped: the mapping result (config and canonical entries).
    ///   - request: the conversion request (resize, dtype).
    ///   - format: the output format (it fixes the tensor order).
    /// - Throws: `ConvertError.invalidImageSize`, `.imageSizeDoesNotTile`, `.unsupportedOutputDType`;
    ///   `ViTConfigError` when the resized config is inconsistent.
    init(_ mapped: MappingResult, request: ConversionRequest, format: OutputFormat) throws {
        if let d = request.dtype, ![DType.f32, .f16, .bf16].contains(d) { throw ConvertError.unsupportedOutputDType(d) }
        var config = mapped.config
        var resize: ResizeSummary?
        if let r = request.resize {
            let s = r.imageSize
            guard s.count == 2, s.allSatisfy({ $0 > 0 }) else { throw ConvertError.invalidImageSize(s) }
            let patch = config.patchSize
            guard s[0] % patch[0] == 0, s[1] % patch[1] == 0 else {
                throw ConvertError.imageSizeDoesNotTile(imageSize: s, patchSize: patch)
            }
            let old = config
            config.imageSize = s
            try config.validate()
            resize = ResizeSummary(oldImageSize: old.imageSize, newImageSize: s, oldGrid: old.gridSize, newGrid: config.gridSize,
                                   prefixRows: old.noEmbedClass ? 0 : old.numPrefixTokens, method: r.method)
        }
        let shapes = Dictionary(config.canonicalTensors.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        var items: [Item] = []
        for e in mapped.plan.entries {
            let dtype = request.dtype ?? (e.dtype == .f64 ? .f32 : e.dtype)
            let shape = shapes[e.canonicalName] ?? e.shape
            let resamples = e.canonicalName == "pos_embed" && resize.map { $0.oldGrid != $0.newGrid } == true
            items.append(Item(entry: e, info: TensorInfo(name: e.canonicalName, dtype: dtype, shape: shape), resamples: resamples))
        }
        let order = OutputWriter.fileOrder(items.map(\.info), format: format).map(\.name)
        let byName = Dictionary(items.map { ($0.info.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.items = order.compactMap { byName[$0] }
        self.config = config
        self.resize = resize
    }

    /// Builds one output tensor: materialise the canonical tensor, resample `pos_embed` (in float32,
    /// back to its stored dtype, as timm's `resample_abs_pos_embed`), then convert to the output dtype.
    /// - Parameters:
    ///   - item: the output tensor.
    ///   - source: the checkpoint.
    /// - Throws: the source's read errors, `MappingError`, `ResizeError`, `TensorError`.
    func build(_ item: Item, from source: TensorSource) throws -> Tensor {
        var t = try ViTMapper.materialize(item.entry, from: source)
        if item.resamples, let r = resize {
            t = try resamplePositionEmbedding(t, prefixTokens: r.prefixRows, oldGrid: (r.oldGrid[0], r.oldGrid[1]),
                                              newGrid: (r.newGrid[0], r.newGrid[1]), method: r.method)
        }
        if t.dtype != item.info.dtype { t = try t.converted(to: item.info.dtype) }
        return t
    }

    /// The stored runs that make up `item` when it can be copied from the input file as it is (no resize, no
    /// dtype change, a pure byte layout the format can read piecewise), or nil when it must be built.
    /// - Throws: the source's errors for a missing tensor.
    func storedLayout(_ item: Item, from source: TensorSource) throws -> StoredLayout? {
        guard !item.resamples, item.entry.dtype == item.info.dtype, item.entry.shape == item.info.shape,
              let layout = try StoredLayout(item.entry, from: source), layout.count == item.info.byteCount else { return nil }
        return layout
    }

    /// Output data bytes in all.
    var totalBytes: Int { items.reduce(0) { $0 + $1.info.byteCount } }
}
