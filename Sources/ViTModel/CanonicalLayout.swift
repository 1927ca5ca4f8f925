/// The canonical (timm `VisionTransformer`) tensor names and shapes for a config.
///
/// This is the one place the canonical names are declared. Names and order follow timm's
/// `state_dict()`; the few tensors timm has no name for use names in timm's style:
/// `patch_embed.norm_pre.*` (LayerNorm over the flattened patch pixels, stored in conv (C, P, P)
/// order, from vit-pytorch) and `pre_logits.fc.*` (the original ViT's representation layer). A head without
/// bias (CLIP's projection) has no `head.bias` (timm stores zeros there).
public struct CanonicalTensor: Sendable, Equatable {
    /// timm state-dict name.
    public let name: String
    /// Shape as timm stores it.
    public let shape: [Int]
}

extension ViTConfig {
    /// Every tensor a checkpoint of this config holds, in timm `state_dict()` order.
    public var canonicalTensors: [CanonicalTensor] {
        var t: [CanonicalTensor] = []
        func add(_ n: String, _ s: [Int]) { t.append(CanonicalTensor(name: n, shape: s)) }
        let d = embedDim
        let (c, ph, pw) = (inChannels, patchSize[0], patchSize[1])
        if classToken { add("cls_token", [1, 1, d]) }
        if registerTokens > 0 { add("reg_token", [1, registerTokens, d]) }
        add("pos_embed", [1, posEmbedTokens, d])
        if distilled { add("dist_token", [1, 1, d]) }
        if patchNormPre {
            add("patch_embed.norm_pre.weight", [c, ph, pw])
            add("patch_embed.norm_pre.bias", [c, ph, pw])
        }
        add("patch_embed.proj.weight", [d, c, ph, pw])
        if patchBias { add("patch_embed.proj.bias", [d]) }
        if patchNormPost {
            add("patch_embed.norm.weight", [d])
            add("patch_embed.norm.bias", [d])
        }
        if normPre {
            add("norm_pre.weight", [d])
            add("norm_pre.bias", [d])
        }
        for i in 0..<depth {
            let b = "blocks.\(i)."
            add(b + "norm1.weight", [d]); add(b + "norm1.bias", [d])
            add(b + "attn.qkv.weight", [3 * attnDim, d])
            if qkvBias { add(b + "attn.qkv.bias", [3 * attnDim]) }
            add(b + "attn.proj.weight", [d, attnDim]); add(b + "attn.proj.bias", [d])
            if layerScale { add(b + "ls1.gamma", [d]) }
            add(b + "norm2.weight", [d]); add(b + "norm2.bias", [d])
            add(b + "mlp.fc1.weight", [fc1OutDim, d]); add(b + "mlp.fc1.bias", [fc1OutDim])
            add(b + "mlp.fc2.weight", [d, mlpHiddenDim]); add(b + "mlp.fc2.bias", [d])
            if layerScale { add(b + "ls2.gamma", [d]) }
        }
        if finalNorm { add("norm.weight", [d]); add("norm.bias", [d]) }
        if globalPool == .map, let ph = poolMlpHiddenDim {
            // timm `AttentionPoolLatent` (one latent query; kv packed k then v).
            add("attn_pool.latent", [1, 1, d])
            add("attn_pool.q.weight", [d, d]); add("attn_pool.q.bias", [d])
            add("attn_pool.kv.weight", [2 * d, d]); add("attn_pool.kv.bias", [2 * d])
            add("attn_pool.proj.weight", [d, d]); add("attn_pool.proj.bias", [d])
            add("attn_pool.norm.weight", [d]); add("attn_pool.norm.bias", [d])
            add("attn_pool.mlp.fc1.weight", [ph, d]); add("attn_pool.mlp.fc1.bias", [ph])
            add("attn_pool.mlp.fc2.weight", [d, ph]); add("attn_pool.mlp.fc2.bias", [d])
        }
        if fcNorm { add("fc_norm.weight", [d]); add("fc_norm.bias", [d]) }
        if let p = preLogitsDim { add("pre_logits.fc.weight", [p, d]); add("pre_logits.fc.bias", [p]) }
        if numClasses > 0 {
            add("head.weight", [numClasses, featureDim])
            if headBias { add("head.bias", [numClasses]) }
            if distilled {
                add("head_dist.weight", [numClasses, featureDim])
                if headBias { add("head_dist.bias", [numClasses]) }
            }
        }
        return t
    }

    /// Total number of parameters (every element of every canonical tensor).
    public var parameterCount: Int {
        canonicalTensors.reduce(0) { $0 + $1.shape.reduce(1, *) }
    }
}
