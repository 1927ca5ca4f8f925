/// Tables for Keras files with vit-keras / JAX module names (conventions.md §2.4, 2.5, 2.7, 2.8).
///
/// The tables match `KerasNames.matchName` forms: `:0` dropped, `/` joins written as `_`, so one row reads
/// `Transformer/encoderblock_0/…` (Keras 2) and `Transformer_encoderblock_0/…` (Keras 3) alike. Keras 3
/// `.weights.h5` files do not store variable names, only their index in the layer (`0` = kernel or gamma,
/// `1` = bias or beta), so their table uses the index where Keras 2 uses the variable name.
extension Dialect {
    private static let kerasTraits = Traits(
        eps: 1e-6, epsReason: "vit-keras sets LayerNorm epsilon 1e-6 (Keras' own default is 1e-3)",
        preLogitsActivation: .tanh, pooling: .classTokenElseMean, allowsNoEmbedClass: false)

    /// The rows for one spelling of the variable names.
    private static func kerasRules(kernel: String, bias: String, gamma: String, beta: String,
                                   classToken: String, position: String) -> [Rule] {
        let block = "{*}encoderblock_{i}_{*}"
        let attention = block + "MultiHeadDotProductAttention_1_"
        func dense(_ stem: String, _ make: (Param) -> Part, _ kernelLayout: StoredLayout = .denseKernel) -> [Rule] {
            [Rule(stem + "_" + kernel, make(.weight), kernelLayout), Rule(stem + "_" + bias, make(.bias), .denseBias)]
        }
        func norm(_ stem: String, _ make: (Param) -> Part) -> [Rule] {
            [Rule(stem + "_" + gamma, make(.weight)), Rule(stem + "_" + beta, make(.bias))]
        }
        // The patch conv is the top-level layer `embedding` (a prefix would also match `…pos_embedding`).
        return [Rule("embedding_" + kernel, .patchProj(.weight), .convHWIO),
                Rule("embedding_" + bias, .patchProj(.bias)),
                Rule(classToken, .clsToken), Rule(position, .posEmbed)]
            + norm(block + "LayerNorm_0", Part.norm1)
            + dense(attention + "query", Part.q) + dense(attention + "key", Part.k) + dense(attention + "value", Part.v)
            + dense(attention + "{out|attention_output}", Part.proj, .denseOutKernel)
            + norm(block + "LayerNorm_2", Part.norm2)
            + dense(block + "Dense_0", Part.fc1) + dense(block + "Dense_1", Part.fc2)
            + norm("{*}encoder_norm", Part.norm)
            + dense("{*}pre_logits", Part.preLogits)
            + dense("{*}head", Part.head)
    }

    /// Keras 2 `.h5` (and Keras 3 legacy `.h5`) from vit-keras, read in `layer_names`/`weight_names` order.
    static let kerasLegacy = Dialect(
        convention: .kerasLegacy, name: "vit-keras (legacy .h5)", names: .kerasLegacyWeightNames,
        rules: kerasRules(kernel: "kernel", bias: "bias", gamma: "{gamma|scale}", beta: "{beta|bias}",
                          classToken: "{*}cls", position: "{*}pos_embedding"),
        sequentials: [], traits: kerasTraits)

    /// Keras 3 `.weights.h5` with vit-keras layer names: names from the `name` attributes, variables by index.
    static let keras3 = Dialect(
        convention: .keras3, name: "Keras 3 (.weights.h5)", names: .keras3LogicalNames,
        rules: kerasRules(kernel: "0", bias: "1", gamma: "0", beta: "1",
                          classToken: "{*}class_token_0", position: "{*}posembed_input_0"),
        sequentials: [], traits: kerasTraits)

    /// Every dialect, in the order candidates are listed.
    static let all: [Dialect] = [.timm, .torchvision, .huggingFace, .huggingFace5, .huggingFaceDinov2, .huggingFaceCLIP,
                                 .openaiCLIP, .openCLIPTimmTrunk, .dinov2, .vitPytorch, .vitPytorchPreNorm,
                                 .torchMHA, .einops, .kerasLegacy, .keras3, .jax, .bigVision, .bigVisionScanned]
}
