/// Weight or bias of a layer.
enum Param: Hashable, Sendable {
    case weight, bias

    var suffix: String { self == .weight ? "weight" : "bias" }
}

/// What a source tensor is, in model terms. Table rows assign a part; a block part also carries the block
/// index captured from the name. Separate q, k, v parts are fused into `qkv` before planning, and a `pooler`
/// becomes `preLogits` or is left unused.
enum Part: Hashable, Sendable {
    case clsToken, regToken, distToken, posEmbed
    case patchNormPre(Param), patchProj(Param), patchNorm(Param), normPre(Param)
    case norm(Param), fcNorm(Param)
    case preLogits(Param), head(Param), headDist(Param)
    /// A Linear + tanh on the pooled class token whose output is the model's output (HF `ViTModel` pooler):
    /// canonical `pre_logits.fc` when the checkpoint has no classifier; a classifier does not read it.
    case pooler(Param)
    case norm1(Param), qkv(Param), q(Param), k(Param), v(Param), proj(Param), ls1
    case norm2(Param), fc1(Param), fc2(Param), ls2
    /// timm `attn_pool` (SigLIP's MAP head): latent query, q, packed kv, output projection, norm, MLP.
    case poolLatent, poolQ(Param), poolKV(Param), poolProj(Param), poolNorm(Param), poolFc1(Param), poolFc2(Param)
    /// A packed `nn.MultiheadAttention` in-projection of the attention pool (HF SigLIP `head.attention.in_proj_*`):
    /// its first third becomes `attn_pool.q`, the rest `attn_pool.kv`.
    case poolInProj(Param)
    /// Separate key and value projections of the attention pool (big_vision `MAPHead_0`): fused into `attn_pool.kv`,
    /// key rows first.
    case poolK(Param), poolV(Param)
    /// A tensor the convention has but the canonical layout has no counterpart for (HF pooler, mask token).
    case noEquivalent(String)
    /// A tensor that is not part of the image model's inference (a text tower, an MAE decoder, a mask token):
    /// dropped with a note, never an error.
    case dropped(String)

    /// True for the parts that live inside a transformer block and need a block index.
    var isBlockPart: Bool {
        switch self {
        case .norm1, .qkv, .q, .k, .v, .proj, .ls1, .norm2, .fc1, .fc2, .ls2: return true
        default: return false
        }
    }
}

/// A part, placed: the block index for block parts, nil otherwise.
struct Role: Hashable, Sendable, Comparable {
    let block: Int?
    let part: Part

    init(_ part: Part, block: Int? = nil) {
        self.part = part
        self.block = block
    }

    /// The canonical (timm) name.
    var canonicalName: String {
        let b = "blocks.\(block ?? -1)."
        switch part {
        case .clsToken: return "cls_token"
        case .regToken: return "reg_token"
        case .distToken: return "dist_token"
        case .posEmbed: return "pos_embed"
        case let .patchNormPre(p): return "patch_embed.norm_pre.\(p.suffix)"
        case let .patchProj(p): return "patch_embed.proj.\(p.suffix)"
        case let .patchNorm(p): return "patch_embed.norm.\(p.suffix)"
        case let .normPre(p): return "norm_pre.\(p.suffix)"
        case let .norm(p): return "norm.\(p.suffix)"
        case let .fcNorm(p): return "fc_norm.\(p.suffix)"
        case let .preLogits(p): return "pre_logits.fc.\(p.suffix)"
        case let .pooler(p): return "pre_logits.fc.\(p.suffix) (pooler)"
        case let .head(p): return "head.\(p.suffix)"
        case let .headDist(p): return "head_dist.\(p.suffix)"
        case let .norm1(p): return b + "norm1.\(p.suffix)"
        case let .qkv(p): return b + "attn.qkv.\(p.suffix)"
        case let .q(p): return b + "attn.q.\(p.suffix)"
        case let .k(p): return b + "attn.k.\(p.suffix)"
        case let .v(p): return b + "attn.v.\(p.suffix)"
        case let .proj(p): return b + "attn.proj.\(p.suffix)"
        case .ls1: return b + "ls1.gamma"
        case let .norm2(p): return b + "norm2.\(p.suffix)"
        case let .fc1(p): return b + "mlp.fc1.\(p.suffix)"
        case let .fc2(p): return b + "mlp.fc2.\(p.suffix)"
        case .ls2: return b + "ls2.gamma"
        case .poolLatent: return "attn_pool.latent"
        case let .poolQ(p): return "attn_pool.q.\(p.suffix)"
        case let .poolKV(p): return "attn_pool.kv.\(p.suffix)"
        case let .poolInProj(p): return "attn_pool.(q|kv).\(p.suffix) (packed in_proj)"
        case let .poolK(p): return "attn_pool.kv.\(p.suffix) (key rows)"
        case let .poolV(p): return "attn_pool.kv.\(p.suffix) (value rows)"
        case let .poolProj(p): return "attn_pool.proj.\(p.suffix)"
        case let .poolNorm(p): return "attn_pool.norm.\(p.suffix)"
        case let .poolFc1(p): return "attn_pool.mlp.fc1.\(p.suffix)"
        case let .poolFc2(p): return "attn_pool.mlp.fc2.\(p.suffix)"
        case let .noEquivalent(reason): return "(no canonical equivalent: \(reason))"
        case let .dropped(reason): return "(dropped: \(reason))"
        }
    }

    static func < (a: Role, b: Role) -> Bool {
        a.canonicalName < b.canonicalName
    }
}

/// How a convention stores a tensor of a given role. The layout is a property of the table row (the role in
/// that convention), never read off the tensor's rank or shape; the transform to the canonical layout follows.
enum StoredLayout: Hashable, Sendable {
    /// Already as timm stores it.
    case canonical
    /// A 2-D (tokens, D) parameter (vit-pytorch 1.x): gains a leading batch axis.
    case tokenRows
    /// A Keras/JAX kernel (in, out…): the output axes are flattened and the result transposed to (out, in).
    /// A plain Dense kernel (in, out) is transposed; a per-head kernel (D, H, hd) becomes (H·hd, D).
    case denseKernel
    /// A Keras/JAX attention output kernel (in…, out): (H, hd, D) becomes (D, H·hd); a Dense (in, out) is transposed.
    case denseOutKernel
    /// A Keras/JAX bias: (H, hd) per-head biases are flattened; (out,) stays.
    case denseBias
    /// A conv kernel in HWIO order (P, P, C, D) (Keras/JAX).
    case convHWIO
    /// A Linear over flattened patches in (row, column, channel) order, (D, P·P·C) (einops `(p1 p2 c)`).
    case patchLinearRowColChannel
    /// A LayerNorm gain/bias over flattened patches in (row, column, channel) order, (P·P·C,).
    case patchNormRowColChannel
    /// A Linear over flattened patches in (channel, row, column) order, (D, C·P·P) (`nn.Unfold`): a reshape.
    case patchLinearChannelRowCol
    /// A LayerNorm gain/bias over (channel, row, column)-flattened patches, (C·P·P,): a reshape.
    case patchNormChannelRowCol
    /// A 1-D (D,) token (CLIP `class_embedding`): gains two leading axes, (1, 1, D).
    case vectorToken
    /// Rows `[from·n/parts, to·n/parts)` of a packed (n, …) tensor (a packed in-projection split in parts).
    case rowParts(from: Int, to: Int, parts: Int)
}
