/// What a checkpoint does not record and the caller knows: heads, epsilon, a forced convention, a mapping file…
///
/// Every field is optional: `nil` lets ViTKit read the value from the checkpoint (metadata, a shipped
/// `config.json`, the weights' shapes) or say in `CheckpointReport.assumptions` what it assumed.
public struct CheckpointOptions: Sendable, Equatable {
    /// Force a naming convention instead of detecting it.
    public var convention: Convention?
    /// Attention heads, when the checkpoint does not record them (else head dim 64 is assumed and reported).
    public var heads: Int?
    /// LayerNorm epsilon, overriding metadata and the convention's default.
    public var layerNormEps: Double?
    /// The checkpoint's image size as [height, width], when nothing records it and the grid is not square.
    public var imageSize: [Int]?
    /// Input channels, for a Linear patch embedding whose length does not say (default 3).
    public var inChannels: Int?
    /// A mapping file (JSON, schema in docs/conventions.md) placing tensors the structure cannot place.
    public var mapFile: String?
    /// Flattening order of a Linear patch embedding (`cpp`: nn.Unfold's, `ppc`: einops').
    public var patchOrder: PatchOrder?
    /// The MLP activation, when the checkpoint does not say.
    public var activation: ViTConfig.Activation?
    /// Activation after a hidden-layer classifier's first Linear (the weights cannot show it).
    public var headActivation: ViTConfig.PreLogitsActivation?
    /// Drop source tensors with no canonical place instead of failing (each is named in the report).
    public var allowUnused: Bool
    /// Threads for the forward pass (nil: every core).
    public var threads: Int?
    /// Number format of the forward pass's block weights and products (fp32, bf16, f16); a format this CPU has
    /// no kernels for runs in fp32, and `Model.precisionNote` says so.
    public var precision: Precision

    /// - Parameters: see the properties; every one defaults to "read it from the checkpoint".
    public init(convention: Convention? = nil, heads: Int? = nil, layerNormEps: Double? = nil, imageSize: [Int]? = nil,
                inChannels: Int? = nil, mapFile: String? = nil, patchOrder: PatchOrder? = nil,
                activation: ViTConfig.Activation? = nil, headActivation: ViTConfig.PreLogitsActivation? = nil,
                allowUnused: Bool = false, threads: Int? = nil, precision: Precision = .fp32) {
        self.convention = convention
        self.heads = heads
        self.layerNormEps = layerNormEps
        self.imageSize = imageSize
        self.inChannels = inChannels
        self.mapFile = mapFile
        self.patchOrder = patchOrder
        self.activation = activation
        self.headActivation = headActivation
        self.allowUnused = allowUnused
        self.threads = threads
        self.precision = precision
    }

    /// The mapping options these describe, with the map file read and parsed.
    /// - Throws: `CheckpointError.mapFileUnreadable`, or the map file's parse error.
    func mappingOptions() throws -> MappingOptions {
        var o = MappingOptions(convention: convention, heads: heads, imageSize: imageSize, inChannels: inChannels,
                               layerNormEps: layerNormEps, allowUnused: allowUnused)
        o.patchOrder = patchOrder
        o.activation = activation
        o.preLogitsActivation = headActivation
        if let mapFile {
            guard let text = TextFile.read(mapFile) else { throw CheckpointError.mapFileUnreadable(path: mapFile) }
            o.mapFile = try MapFile(text: text, file: mapFile)
            o.mapFileName = mapFile
        }
        return o
    }
}
