/// Tables for hand-written PyTorch ViTs. Module names vary between tutorials, so the rows match the parts
/// that are fixed by PyTorch (`nn.TransformerEncoderLayer`, `nn.MultiheadAttention`) or by the einops idiom
/// (`to_qkv`, `to_out`, `net`), and accept the common spellings for the rest. Container prefixes (`encoder.`,
/// `transformer.`, `model.vit.` …) are free (`{*.}`), but never a numbered `ModuleList` position.
extension Dialect {
    /// Module names tutorials give the patch embedding.
    static let patchNames = "{patcher|patch_embed|patch_embedding|patch_embeddings|patchify|patch_proj|patch_conv|conv_proj|to_patch_embedding|patch_to_embedding|patch_embed.proj|patch_embedding.proj|patch_embedding.patcher|patch_embed.patcher}"
    /// Names of the class token parameter.
    static let classTokenNames = "{class_token|cls_token|cls|class_embedding|cls_embedding}"
    /// Names of the position embedding parameter (1, T, D) or `nn.Embedding` module (T, D).
    static let positionNames = "{position_embedding|position_embeddings|pos_embedding|pos_embed|positional_embedding|pos_emb}"
    /// Names of a final LayerNorm over all tokens.
    static let finalNormNames = "{norm|ln|final_norm|encoder_norm|ln_final|layernorm|layer_norm}"
    /// Names of the classifier (a Linear, or a Sequential whose entries are placed by position).
    static let headNames = "{head|mlp_head|classifier|heads|fc}"

    private static let embeddingRules: [Rule] = [
        Rule("{*.}" + classTokenNames, .clsToken),
        Rule("{*.}" + positionNames, .posEmbed),
        Rule("{*.}" + positionNames + ".weight", .posEmbed, .tokenRows),   // nn.Embedding(T, D)
    ]
    + Rule.layer("{*.}" + finalNormNames, Part.norm)
    + Rule.layer("{*.}" + headNames, Part.head)

    /// A classifier Sequential: Linear; LayerNorm + Linear; LayerNorm + Linear + (GELU) + Linear.
    private static let headSequential = SequentialRule("{*.}" + headNames, [
        1: [.head], 2: [.headNorm, .head], 3: [.headNorm, .preLogits, .head],
    ])

    private static let handWrittenTraits = Traits(
        eps: 1e-5, epsReason: "PyTorch's LayerNorm default 1e-5 (hand-written models rarely change it)",
        preLogitsActivation: .gelu, pooling: .classTokenElseMean, allowsNoEmbedClass: false)

    /// `nn.TransformerEncoderLayer(norm_first=True)` blocks (`self_attn.in_proj_weight`, `linear1`, `norm1` …)
    /// with a conv patcher, a class token, a position embedding and a classifier (Sequential) head.
    static let torchMHA = Dialect(
        convention: .torchMHA, name: "nn.TransformerEncoderLayer", names: .tensorNames,
        rules: [Rule("{*.}layers.{i}.self_attn.in_proj_weight", .qkv(.weight)),
                Rule("{*.}layers.{i}.self_attn.in_proj_bias", .qkv(.bias))]
        + Rule.layer("{*.}layers.{i}.self_attn.out_proj", Part.proj)
        + Rule.layer("{*.}layers.{i}.norm1", Part.norm1)
        + Rule.layer("{*.}layers.{i}.norm2", Part.norm2)
        + Rule.layer("{*.}layers.{i}.linear1", Part.fc1)
        + Rule.layer("{*.}layers.{i}.linear2", Part.fc2)
        + Rule.layer("{*.}" + patchNames, Part.patchProj)
        + embeddingRules,
        sequentials: [headSequential],
        traits: handWrittenTraits)

    /// einops-style blocks: `{i}.attn.norm`, `{i}.attn.to_qkv`, `{i}.attn.to_out`, `{i}.ff.net` = Sequential(
    /// LayerNorm, Linear, GELU, [Dropout,] Linear); a Linear patch embedding over `(p1 p2 c)` patches (alone or
    /// in a Sequential after the `Rearrange`, optionally between two LayerNorms).
    static let einops = Dialect(
        convention: .einops, name: "einops", names: .tensorNames,
        rules: Rule.layer("{*.}{i}.{attn|attention}.norm", Part.norm1)
        + Rule.layer("{*.}{i}.{attn|attention}.to_qkv", Part.qkv)
        + Rule.layer("{*.}{i}.{attn|attention}.to_out{.0|}", Part.proj)
        + [Rule("{*.}" + patchNames + ".weight", .patchProj(.weight), .patchLinearRowColChannel),
           Rule("{*.}" + patchNames + ".bias", .patchProj(.bias))]
        + embeddingRules,
        sequentials: [
            SequentialRule("{*.}{i}.{ff|mlp|feed_forward|feedforward}.net", [3: [.norm2, .fc1, .fc2]]),
            SequentialRule("{*.}" + patchNames, [1: [.patchProj], 3: [.patchNormPre, .patchProj, .patchNorm]]),
            headSequential,
        ],
        traits: handWrittenTraits)
}
