import ViTTensor

/// Tables for Google's JAX ViT checkpoints saved as `.npz` (conventions.md §2.4): flax parameter paths joined
/// with `/`. timm's `_load_weights` is the reference for every row. Kernels are (in, out…) and use the same
/// stored layouts as the Keras tables: query/key/value kernels (D, H, hd) with biases (H, hd), the attention
/// output kernel (H, hd, D), Dense kernels (in, out), the patch conv in HWIO.
extension Dialect {
    /// Flax `nn.LayerNorm` keeps its default epsilon in both code bases; `pre_logits` is Dense + tanh in both.
    /// A model without a class token (`gap`) averages the tokens after `encoder_norm`: canonical `norm` + `avg`.
    private static func jaxTraits(_ codeBase: String, allowsNoEmbedClass: Bool) -> Traits {
        Traits(eps: 1e-6, epsReason: "flax nn.LayerNorm's default epsilon 1e-6 (\(codeBase) keeps it)",
               preLogitsActivation: .tanh, pooling: .classTokenElseMean, allowsNoEmbedClass: allowsNoEmbedClass)
    }

    /// The rows of one naming. `block` ends in `/`; with `stacked`, it has no `{i}` and every block row reads
    /// slice i of a tensor with a leading depth axis.
    private static func jaxRules(position: String, block: String, stacked: Bool, attention: String,
                                 norm2: String, mlp: String, extra: [Rule] = []) -> [Rule] {
        func dense(_ stem: String, _ make: (Param) -> Part, _ kernel: StoredLayout = .denseKernel, inBlock: Bool = true) -> [Rule] {
            let s = inBlock && stacked
            return [Rule(stem + "/kernel", make(.weight), kernel, stacked: s), Rule(stem + "/bias", make(.bias), .denseBias, stacked: s)]
        }
        func norm(_ stem: String, _ make: (Param) -> Part, inBlock: Bool = true) -> [Rule] {
            let s = inBlock && stacked
            return [Rule(stem + "/scale", make(.weight), stacked: s), Rule(stem + "/bias", make(.bias), stacked: s)]
        }
        let att = block + attention + "/"
        return [Rule("embedding/kernel", .patchProj(.weight), .convHWIO), Rule("embedding/bias", .patchProj(.bias)),
                Rule("cls", .clsToken), Rule(position, .posEmbed)]
            + norm(block + "LayerNorm_0", Part.norm1)
            + dense(att + "query", Part.q) + dense(att + "key", Part.k) + dense(att + "value", Part.v)
            + dense(att + "out", Part.proj, .denseOutKernel)
            + norm(block + norm2, Part.norm2)
            + dense(block + mlp + "/Dense_0", Part.fc1) + dense(block + mlp + "/Dense_1", Part.fc2)
            + norm("Transformer/encoder_norm", Part.norm, inBlock: false)
            + dense("pre_logits", Part.preLogits, inBlock: false)
            + dense("head", Part.head, inBlock: false)
            + extra
    }

    /// google-research/vision_transformer (`models_vit.py`): `AddPositionEmbs` named `posembed_input` inside the
    /// encoder adds the position embedding after the class token is joined, so it covers it (G + 1 rows).
    static let jax = Dialect(
        convention: .jax, name: "vision_transformer (original JAX)", names: .jaxPaths,
        rules: jaxRules(position: "Transformer/posembed_input/pos_embedding", block: "Transformer/encoderblock_{i}/",
                        stacked: false, attention: "MultiHeadDotProductAttention_1", norm2: "LayerNorm_2", mlp: "MlpBlock_3"),
        sequentials: [], traits: jaxTraits("vision_transformer", allowsNoEmbedClass: false))

    /// big_vision's ViT: a top-level `pos_embedding` (`Transformer/pos_embedding` before 2022, which big_vision's
    /// `fix_old_checkpoints` still reads). Current big_vision adds it before joining the class token (G rows,
    /// timm `no_embed_class`); older checkpoints have G + 1 rows. The row count tells which.
    private static let bigVisionPosition = "{Transformer/|}pos_embedding"

    /// SigLIP's MAP (attention-pooling) head, as timm `_load_weights` reads it: `probe` → `attn_pool.latent`,
    /// query → `q`, key and value → `kv` (key rows first), out → `proj`, `LayerNorm_0` → `norm`,
    /// `MlpBlock_0/Dense_{0,1}` → `mlp.fc{1,2}`. A two-tower file's text tower (`params/txt/…`, outside the image
    /// prefix) and its logit scale and bias (`t`, `b`) are dropped with a note.
    private static let mapHead: [Rule] = {
        let att = "MAPHead_0/MultiHeadDotProductAttention_0/"
        func dense(_ stem: String, _ make: (Param) -> Part, _ kernel: StoredLayout = .denseKernel) -> [Rule] {
            [Rule(stem + "/kernel", make(.weight), kernel), Rule(stem + "/bias", make(.bias), .denseBias)]
        }
        return [Rule("MAPHead_0/probe", .poolLatent)]
            + dense(att + "query", Part.poolQ) + dense(att + "key", Part.poolK) + dense(att + "value", Part.poolV)
            + dense(att + "out", Part.poolProj, .denseOutKernel)
            + [Rule("MAPHead_0/LayerNorm_0/scale", .poolNorm(.weight)), Rule("MAPHead_0/LayerNorm_0/bias", .poolNorm(.bias))]
            + dense("MAPHead_0/MlpBlock_0/Dense_0", Part.poolFc1) + dense("MAPHead_0/MlpBlock_0/Dense_1", Part.poolFc2)
            + [Rule("{params/|}txt/{*}", .dropped("text tower (txt/*) and the logit scale and bias (t, b)")),
               Rule("{params/|}{t|b}", .dropped("text tower (txt/*) and the logit scale and bias (t, b)"))]
    }()

    /// big_vision, one module per block (`Transformer/encoderblock_{i}/`).
    static let bigVision = Dialect(
        convention: .bigVision, name: "big_vision", names: .jaxPaths,
        rules: jaxRules(position: bigVisionPosition, block: "Transformer/encoderblock_{i}/", stacked: false,
                        attention: "MultiHeadDotProductAttention_0", norm2: "LayerNorm_1", mlp: "MlpBlock_0", extra: mapHead),
        sequentials: [], traits: jaxTraits("big_vision", allowsNoEmbedClass: true))

    /// big_vision with `scan=True`: one tensor per block parameter (`Transformer/encoderblock/…`) with a leading
    /// depth axis; block i is slice i (timm `_n2p(w, idx=i)`).
    static let bigVisionScanned = Dialect(
        convention: .bigVision, name: "big_vision (scanned)", names: .jaxPaths,
        rules: jaxRules(position: bigVisionPosition, block: "Transformer/encoderblock/", stacked: true,
                        attention: "MultiHeadDotProductAttention_0", norm2: "LayerNorm_1", mlp: "MlpBlock_0", extra: mapHead),
        sequentials: [], traits: jaxTraits("big_vision", allowsNoEmbedClass: true))
}

/// The prefix a JAX checkpoint puts before every model parameter, found as timm's `_load_weights` finds it.
enum JAXPrefix {
    /// The prefixes tried, in timm's order: flax optimizer checkpoints (`opt/target/`), big_vision (`params/`)
    /// and the image tower of big_vision two-tower models (`params/img/`). The first whose `embedding/kernel`
    /// exists wins; else there is none.
    static let candidates = ["opt/target/", "params/", "params/img/"]

    /// The prefix of a checkpoint with these tensors ("" when none applies).
    static func detect(_ infos: [TensorInfo]) -> String {
        let names = Set(infos.map(\.name))
        return candidates.first { names.contains($0 + "embedding/kernel") } ?? ""
    }

    /// The names the JAX tables match: the prefix removed. Names outside it keep their full name, so optimizer
    /// state or another tower is reported as unused, and a second copy of a parameter as a duplicate.
    static func entries(_ infos: [TensorInfo]) -> ([(String, TensorInfo)], [String]) {
        let prefix = detect(infos)
        guard !prefix.isEmpty else { return (infos.map { ($0.name, $0) }, []) }
        let entries = infos.map { i in (i.name.hasPrefix(prefix) ? String(i.name.dropFirst(prefix.count)) : i.name, i) }
        return (entries, ["the model's names are under '\(prefix)' (found \(prefix)embedding/kernel); the prefix is ignored"])
    }
}
