/// One row of a model summary: a module of timm's `VisionTransformer` as torchinfo lists it.
///
/// Rows come in the model's execution order (parents before children). Modules without parameters that
/// only pass data through (`Identity`, `Dropout`) have no row, but they still take their place in
/// torchinfo's numbering, so `index` matches what torchinfo prints for the same timm model.
public struct SummaryLayer: Codable, Equatable, Sendable {
    /// Dotted module path as in timm's `state_dict()` (`blocks.0.attn.qkv`); the root is `""`.
    public let name: String
    /// PyTorch class name (`Linear`, `LayerNorm`, `Block`, …); the root is `VisionTransformer`
    /// (`VisionTransformerDistilled` for a distilled model).
    public let type: String
    /// Nesting depth: 0 for the root, 1 for its children, and so on.
    public let depth: Int
    /// torchinfo's running counter for this depth (the `5` of `1-5`); counted over the whole model.
    public let index: Int
    /// Output shape for the summary's batch and image size.
    public let outputShape: [Int]
    /// Parameters of the module and everything below it. For the root row: only the tensors the root
    /// holds itself (class/register/distillation tokens and `pos_embed`), as torchinfo prints it; the
    /// model's total is `ViTSummary.totalParams`.
    public let params: Int
    /// Parameters held by this module itself, not by a child (e.g. 0 for `Block`, all for `Linear`).
    public let ownParams: Int
    /// True when the module has no child modules (torchinfo's leaf layer).
    public let isLeaf: Bool
    /// Whether the parameters are trainable (always true: every ViT parameter is).
    public let trainable: Bool

    /// torchinfo's `depth-idx` label, e.g. `"1-5"` or `"3-1"` (the root is `"0-1"`).
    public var depthIndex: String { "\(depth)-\(index)" }

    /// The last component of `name` (torchinfo's `var_name`), e.g. `qkv`.
    public var shortName: String {
        guard let dot = name.lastIndex(of: ".") else { return name }
        return String(name[name.index(after: dot)...])
    }

    enum CodingKeys: String, CodingKey {
        case name, type, depth, index, outputShape = "output_shape", params, ownParams = "own_params"
        case isLeaf = "is_leaf", trainable
    }

    /// Encodes `index` as the `depth-idx` text (`"2-3"`), the form torchinfo prints.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(type, forKey: .type)
        try c.encode(depth, forKey: .depth)
        try c.encode(depthIndex, forKey: .index)
        try c.encode(outputShape, forKey: .outputShape)
        try c.encode(params, forKey: .params)
        try c.encode(ownParams, forKey: .ownParams)
        try c.encode(isLeaf, forKey: .isLeaf)
        try c.encode(trainable, forKey: .trainable)
    }

    /// Decodes the form written by `encode(to:)`.
    /// - Throws: `DecodingError` when a key is missing or `index` is not `"<depth>-<n>"`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        type = try c.decode(String.self, forKey: .type)
        depth = try c.decode(Int.self, forKey: .depth)
        let label = try c.decode(String.self, forKey: .index)
        let parts = label.split(separator: "-")
        guard parts.count == 2, Int(parts[0]) == depth, let n = Int(parts[1]) else {
            throw DecodingError.dataCorruptedError(forKey: .index, in: c,
                                                   debugDescription: "expected \"\(depth)-<n>\", found \"\(label)\"")
        }
        index = n
        outputShape = try c.decode([Int].self, forKey: .outputShape)
        params = try c.decode(Int.self, forKey: .params)
        ownParams = try c.decode(Int.self, forKey: .ownParams)
        isLeaf = try c.decode(Bool.self, forKey: .isLeaf)
        trainable = try c.decode(Bool.self, forKey: .trainable)
    }

    /// A row with every field given.
    /// - Parameters:
    ///   - name: Dotted module path (`""` for the root).
    ///   - type: PyTorch class name.
    ///   - depth: Nesting depth (0 = root).
    ///   - index: torchinfo's per-depth counter.
    ///   - outputShape: Output shape for the batch and image size.
    ///   - params: Subtree parameters (root: its own tensors only).
    ///   - ownParams: Parameters held by the module itself.
    ///   - isLeaf: Whether the module has no children.
    ///   - trainable: Whether the parameters are trainable.
    public init(name: String, type: String, depth: Int, index: Int, outputShape: [Int], params: Int,
                ownParams: Int, isLeaf: Bool, trainable: Bool = true) {
        self.name = name
        self.type = type
        self.depth = depth
        self.index = index
        self.outputShape = outputShape
        self.params = params
        self.ownParams = ownParams
        self.isLeaf = isLeaf
        self.trainable = trainable
    }
}
