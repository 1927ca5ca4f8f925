import ViTModel
import ViTTensor
@testable import ViTMapping

/// A canonical model with random values, and writers that store it the way each library does
/// (restated here from conventions.md, independently of ViTMapping's tables).
struct Synthetic {
    let config: ViTConfig
    let order: [String]
    let values: [String: Values]

    init(_ config: ViTConfig, seed: UInt64 = 1) {
        self.config = config
        var noise = Noise(seed: seed)
        var values: [String: Values] = [:]
        var order: [String] = []
        for t in config.canonicalTensors {
            values[t.name] = Values(shape: t.shape, data: noise.values(t.shape.reduce(1, *)))
            order.append(t.name)
        }
        self.order = order
        self.values = values
    }

    func v(_ name: String) -> Values { values[name]! }
    func has(_ name: String) -> Bool { values[name] != nil }

    /// A checkpoint of stored (name, values) pairs.
    struct Stored {
        var entries: [(String, Values)] = []
        var keras: KerasNames?
        mutating func add(_ name: String, _ v: Values) { entries.append((name, v)) }
        var infos: [TensorInfo] { entries.map { TensorInfo(name: $0.0, dtype: .f32, shape: $0.1.shape) } }
        func source(path: String = "test.ckpt", metadata: [String: String] = [:], configJSON: String? = nil,
                    dtype: DType = .f32) throws -> MemorySource {
            try MemorySource(path: path, entries.map { ($0.0, try $0.1.tensor(dtype)) }, metadata: metadata, configJSON: configJSON)
        }
        func context(file: String = "test.ckpt", metadata: [String: String] = [:], configJSON: String? = nil) -> SourceContext {
            SourceContext(file: file, metadata: metadata, configJSON: configJSON, keras: keras)
        }
        func names() -> [String] { entries.map(\.0) }
    }

    // MARK: timm

    func timm() -> Stored {
        var s = Stored()
        for n in order { s.add(n, v(n)) }
        return s
    }

    // MARK: torchvision

    func torchvision(oldMLPNames: Bool = false) -> Stored {
        var s = Stored()
        s.add("class_token", v("cls_token"))
        s.add("conv_proj.weight", v("patch_embed.proj.weight"))
        s.add("conv_proj.bias", v("patch_embed.proj.bias"))
        s.add("encoder.pos_embedding", v("pos_embed"))
        for i in 0..<config.depth {
            let b = "blocks.\(i).", t = "encoder.layers.encoder_layer_\(i)."
            for p in ["weight", "bias"] {
                s.add(t + "ln_1.\(p)", v(b + "norm1.\(p)"))
            }
            s.add(t + "self_attention.in_proj_weight", v(b + "attn.qkv.weight"))
            s.add(t + "self_attention.in_proj_bias", v(b + "attn.qkv.bias"))
            for p in ["weight", "bias"] {
                s.add(t + "self_attention.out_proj.\(p)", v(b + "attn.proj.\(p)"))
                s.add(t + "ln_2.\(p)", v(b + "norm2.\(p)"))
                s.add(t + (oldMLPNames ? "mlp.linear_1." : "mlp.0.") + p, v(b + "mlp.fc1.\(p)"))
                s.add(t + (oldMLPNames ? "mlp.linear_2." : "mlp.3.") + p, v(b + "mlp.fc2.\(p)"))
            }
        }
        for p in ["weight", "bias"] { s.add("encoder.ln.\(p)", v("norm.\(p)")) }
        if config.preLogitsDim != nil { for p in ["weight", "bias"] { s.add("heads.pre_logits.\(p)", v("pre_logits.fc.\(p)")) } }
        for p in ["weight", "bias"] { s.add("heads.head.\(p)", v("head.\(p)")) }
        return s
    }

    // MARK: Hugging Face (v4 names, as save_pretrained writes them)

    func huggingFace(prefix: String = "vit.", pooler: Bool = false, maskToken: Bool = false) -> Stored {
        var s = Stored()
        let e = prefix + "embeddings."
        s.add(e + "cls_token", v("cls_token"))
        if maskToken { s.add(e + "mask_token", Values(shape: [1, 1, config.embedDim], data: [Float](repeating: 0.5, count: config.embedDim))) }
        s.add(e + "position_embeddings", v("pos_embed"))
        for p in ["weight", "bias"] { s.add(e + "patch_embeddings.projection.\(p)", v("patch_embed.proj.\(p)")) }
        let a = config.attnDim
        for i in 0..<config.depth {
            let b = "blocks.\(i).", l = prefix + "encoder.layer.\(i)."
            for (k, part) in ["query", "key", "value"].enumerated() {
                s.add(l + "attention.attention.\(part).weight", v(b + "attn.qkv.weight").rows(k * a, (k + 1) * a))
                s.add(l + "attention.attention.\(part).bias", v(b + "attn.qkv.bias").rows(k * a, (k + 1) * a))
            }
            for p in ["weight", "bias"] {
                s.add(l + "attention.output.dense.\(p)", v(b + "attn.proj.\(p)"))
                s.add(l + "intermediate.dense.\(p)", v(b + "mlp.fc1.\(p)"))
                s.add(l + "output.dense.\(p)", v(b + "mlp.fc2.\(p)"))
                s.add(l + "layernorm_before.\(p)", v(b + "norm1.\(p)"))
                s.add(l + "layernorm_after.\(p)", v(b + "norm2.\(p)"))
            }
        }
        for p in ["weight", "bias"] { s.add(prefix + "layernorm.\(p)", v("norm.\(p)")) }
        if pooler {
            let d = config.embedDim
            s.add("pooler.dense.weight", Values(shape: [d, d], data: [Float](repeating: 0.1, count: d * d)))
            s.add("pooler.dense.bias", Values(shape: [d], data: [Float](repeating: 0.1, count: d)))
        }
        if config.numClasses > 0 { for p in ["weight", "bias"] { s.add("classifier.\(p)", v("head.\(p)")) } }
        return s
    }

    /// The config.json `save_pretrained` writes for this model.
    func huggingFaceConfigJSON(eps: Double = 1e-12, labels: [String]? = nil) -> String {
        let id2label = (labels ?? (0..<config.numClasses).map { "LABEL_\($0)" }).enumerated()
            .map { "\"\($0.offset)\": \"\($0.element)\"" }.joined(separator: ", ")
        let imageSize = config.imageSize[0] == config.imageSize[1] ? "\(config.imageSize[0])" : "[\(config.imageSize[0]), \(config.imageSize[1])]"
        return """
        {"architectures": ["ViTForImageClassification"], "hidden_act": "gelu", "hidden_size": \(config.embedDim),
         "id2label": {\(id2label)}, "image_size": \(imageSize), "intermediate_size": \(config.mlpHiddenDim),
         "layer_norm_eps": \(eps), "model_type": "vit", "num_attention_heads": \(config.numHeads), "num_channels": \(config.inChannels),
         "num_hidden_layers": \(config.depth), "patch_size": \(config.patchSize[0]), "qkv_bias": \(config.qkvBias)}
        """
    }

    // MARK: vit-pytorch 1.x

    func vitPytorch() -> Stored {
        var s = Stored()
        let d = config.embedDim, c = config.inChannels, p = config.patchSize
        s.add("cls_token", config.classToken ? v("cls_token").reshaped([1, d]) : Values(shape: [0, d], data: []))
        s.add("pos_embedding", v("pos_embed").reshaped([config.posEmbedTokens, d]))
        // (C, P, P) → (P, P, C) flattened; conv (D, C, P, P) → (D, P, P, C) flattened.
        for q in ["weight", "bias"] {
            s.add("to_patch_embedding.1.\(q)", v("patch_embed.norm_pre.\(q)").transposed([1, 2, 0]).reshaped([p[0] * p[1] * c]))
        }
        s.add("to_patch_embedding.2.weight", v("patch_embed.proj.weight").transposed([0, 2, 3, 1]).reshaped([d, p[0] * p[1] * c]))
        s.add("to_patch_embedding.2.bias", v("patch_embed.proj.bias"))
        for q in ["weight", "bias"] { s.add("to_patch_embedding.3.\(q)", v("patch_embed.norm.\(q)")) }
        for q in ["weight", "bias"] { s.add("transformer.norm.\(q)", v("norm.\(q)")) }
        for i in 0..<config.depth {
            let b = "blocks.\(i).", t = "transformer.layers.\(i)."
            for q in ["weight", "bias"] { s.add(t + "0.norm.\(q)", v(b + "norm1.\(q)")) }
            s.add(t + "0.to_qkv.weight", v(b + "attn.qkv.weight"))
            for q in ["weight", "bias"] {
                s.add(t + "0.to_out.0.\(q)", v(b + "attn.proj.\(q)"))
            }
            for q in ["weight", "bias"] { s.add(t + "1.net.0.\(q)", v(b + "norm2.\(q)")) }
            for q in ["weight", "bias"] { s.add(t + "1.net.1.\(q)", v(b + "mlp.fc1.\(q)")) }
            for q in ["weight", "bias"] { s.add(t + "1.net.4.\(q)", v(b + "mlp.fc2.\(q)")) }
        }
        for q in ["weight", "bias"] { s.add("mlp_head.\(q)", v("head.\(q)")) }
        return s
    }

    // MARK: vit-pytorch 0.35 (PreNorm era; names checked against vit-pytorch 0.35.8)

    func vitPytorchPreNorm() -> Stored {
        var s = Stored()
        let d = config.embedDim, c = config.inChannels, p = config.patchSize
        s.add("pos_embedding", v("pos_embed"))
        s.add("cls_token", v("cls_token"))
        s.add("to_patch_embedding.1.weight", v("patch_embed.proj.weight").transposed([0, 2, 3, 1]).reshaped([d, p[0] * p[1] * c]))
        s.add("to_patch_embedding.1.bias", v("patch_embed.proj.bias"))
        for i in 0..<config.depth {
            let b = "blocks.\(i).", t = "transformer.layers.\(i)."
            for q in ["weight", "bias"] { s.add(t + "0.norm.\(q)", v(b + "norm1.\(q)")) }
            s.add(t + "0.fn.to_qkv.weight", v(b + "attn.qkv.weight"))
            for q in ["weight", "bias"] { s.add(t + "0.fn.to_out.0.\(q)", v(b + "attn.proj.\(q)")) }
            for q in ["weight", "bias"] { s.add(t + "1.norm.\(q)", v(b + "norm2.\(q)")) }
            for q in ["weight", "bias"] { s.add(t + "1.fn.net.0.\(q)", v(b + "mlp.fc1.\(q)")) }
            for q in ["weight", "bias"] { s.add(t + "1.fn.net.3.\(q)", v(b + "mlp.fc2.\(q)")) }
        }
        for q in ["weight", "bias"] { s.add("mlp_head.0.\(q)", v("fc_norm.\(q)")) }
        for q in ["weight", "bias"] { s.add("mlp_head.1.\(q)", v("head.\(q)")) }
        return s
    }

    // MARK: hand-written on nn.TransformerEncoderLayer (the fixture helper's TutorialViT layout)

    func torchMHA(container: String = "encoder.layers", head: String = "mlp_head") -> Stored {
        var s = Stored()
        for q in ["weight", "bias"] { s.add("embedding.patcher.\(q)", v("patch_embed.proj.\(q)")) }
        s.add("embedding.class_token", v("cls_token"))
        s.add("embedding.position_embedding", v("pos_embed"))
        for i in 0..<config.depth {
            let b = "blocks.\(i).", t = "\(container).\(i)."
            s.add(t + "self_attn.in_proj_weight", v(b + "attn.qkv.weight"))
            s.add(t + "self_attn.in_proj_bias", v(b + "attn.qkv.bias"))
            for q in ["weight", "bias"] {
                s.add(t + "self_attn.out_proj.\(q)", v(b + "attn.proj.\(q)"))
                s.add(t + "linear1.\(q)", v(b + "mlp.fc1.\(q)"))
                s.add(t + "linear2.\(q)", v(b + "mlp.fc2.\(q)"))
                s.add(t + "norm1.\(q)", v(b + "norm1.\(q)"))
                s.add(t + "norm2.\(q)", v(b + "norm2.\(q)"))
            }
        }
        // Sequential(LayerNorm, Linear, GELU, Linear): entries 0, 1, 3.
        for q in ["weight", "bias"] { s.add("\(head).0.\(q)", v("fc_norm.\(q)")) }
        for q in ["weight", "bias"] { s.add("\(head).1.\(q)", v("pre_logits.fc.\(q)")) }
        for q in ["weight", "bias"] { s.add("\(head).3.\(q)", v("head.\(q)")) }
        return s
    }

    // MARK: einops hand-written (the fixture helper's EinopsViT layout)

    func einops() -> Stored {
        var s = Stored()
        let d = config.embedDim, c = config.inChannels, p = config.patchSize
        s.add("cls_token", v("cls_token"))
        s.add("pos_embedding", v("pos_embed"))
        s.add("patch_embedding.1.weight", v("patch_embed.proj.weight").transposed([0, 2, 3, 1]).reshaped([d, p[0] * p[1] * c]))
        s.add("patch_embedding.1.bias", v("patch_embed.proj.bias"))
        for i in 0..<config.depth {
            let b = "blocks.\(i)."
            for q in ["weight", "bias"] { s.add(b + "attn.norm.\(q)", v(b + "norm1.\(q)")) }
            s.add(b + "attn.to_qkv.weight", v(b + "attn.qkv.weight"))
            for q in ["weight", "bias"] { s.add(b + "attn.to_out.\(q)", v(b + "attn.proj.\(q)")) }
            for q in ["weight", "bias"] { s.add(b + "ff.net.0.\(q)", v(b + "norm2.\(q)")) }
            for q in ["weight", "bias"] { s.add(b + "ff.net.1.\(q)", v(b + "mlp.fc1.\(q)")) }
            for q in ["weight", "bias"] { s.add(b + "ff.net.3.\(q)", v(b + "mlp.fc2.\(q)")) }
        }
        for q in ["weight", "bias"] { s.add("head.0.\(q)", v("fc_norm.\(q)")) }
        for q in ["weight", "bias"] { s.add("head.1.\(q)", v("head.\(q)")) }
        return s
    }

    // MARK: Keras (vit-keras names)

    /// The stored Keras tensors of one weight: (role path, variable, values), in vit-keras weight order.
    private func kerasWeights(perHeadKernels: Bool) -> [(layer: String, path: String, variable: Int, name: String, Values)] {
        var w: [(String, String, Int, String, Values)] = []
        let d = config.embedDim, a = config.attnDim, h = config.numHeads, hd = config.headDim
        w.append(("embedding", "embedding", 0, "kernel", v("patch_embed.proj.weight").transposed([2, 3, 1, 0])))
        w.append(("embedding", "embedding", 1, "bias", v("patch_embed.proj.bias")))
        w.append(("class_token", "class_token", 0, "cls", v("cls_token")))
        w.append(("Transformer/posembed_input", "Transformer/posembed_input", 0, "pos_embedding", v("pos_embed")))
        for i in 0..<config.depth {
            let b = "blocks.\(i).", l = "Transformer/encoderblock_\(i)"
            let att = l + "/MultiHeadDotProductAttention_1"
            for (k, part) in ["query", "key", "value"].enumerated() {
                let kernel = v(b + "attn.qkv.weight").rows(k * a, (k + 1) * a).transposed([1, 0])   // (D, A)
                let bias = v(b + "attn.qkv.bias").rows(k * a, (k + 1) * a)
                w.append((l, att + "/" + part, 0, "kernel", perHeadKernels ? kernel.reshaped([d, h, hd]) : kernel))
                w.append((l, att + "/" + part, 1, "bias", perHeadKernels ? bias.reshaped([h, hd]) : bias))
            }
            let out = v(b + "attn.proj.weight").transposed([1, 0])   // (A, D)
            w.append((l, att + "/" + (perHeadKernels ? "attention_output" : "out"), 0, "kernel", perHeadKernels ? out.reshaped([h, hd, d]) : out))
            w.append((l, att + "/" + (perHeadKernels ? "attention_output" : "out"), 1, "bias", v(b + "attn.proj.bias")))
            w.append((l, l + "/MlpBlock_3/Dense_0", 0, "kernel", v(b + "mlp.fc1.weight").transposed([1, 0])))
            w.append((l, l + "/MlpBlock_3/Dense_0", 1, "bias", v(b + "mlp.fc1.bias")))
            w.append((l, l + "/MlpBlock_3/Dense_1", 0, "kernel", v(b + "mlp.fc2.weight").transposed([1, 0])))
            w.append((l, l + "/MlpBlock_3/Dense_1", 1, "bias", v(b + "mlp.fc2.bias")))
            w.append((l, l + "/LayerNorm_0", 0, "gamma", v(b + "norm1.weight")))
            w.append((l, l + "/LayerNorm_0", 1, "beta", v(b + "norm1.bias")))
            w.append((l, l + "/LayerNorm_2", 0, "gamma", v(b + "norm2.weight")))
            w.append((l, l + "/LayerNorm_2", 1, "beta", v(b + "norm2.bias")))
        }
        w.append(("Transformer/encoder_norm", "Transformer/encoder_norm", 0, "gamma", v("norm.weight")))
        w.append(("Transformer/encoder_norm", "Transformer/encoder_norm", 1, "beta", v("norm.bias")))
        if config.preLogitsDim != nil {
            w.append(("pre_logits", "pre_logits", 0, "kernel", v("pre_logits.fc.weight").transposed([1, 0])))
            w.append(("pre_logits", "pre_logits", 1, "bias", v("pre_logits.fc.bias")))
        }
        w.append(("head", "head", 0, "kernel", v("head.weight").transposed([1, 0])))
        w.append(("head", "head", 1, "bias", v("head.bias")))
        return w
    }

    /// Keras 2 `save_weights` .h5: datasets `<layer>/<weight name>`, weight names ending in `:0`
    /// (`keras3Joins`: vit-keras 0.2.0 names, `_` instead of `/` and no `:0`).
    func kerasLegacy(perHeadKernels: Bool = false, keras3Joins: Bool = false) -> Stored {
        var s = Stored()
        var names: [KerasNames.Weight] = []
        for (layer, path, _, variable, values) in kerasWeights(perHeadKernels: perHeadKernels) {
            let l = keras3Joins ? layer.replacingOccurrences(of: "/", with: "_") : layer
            let weightName = l + path.dropFirst(layer.count) + "/" + variable + (keras3Joins ? "" : ":0")
            let dataset = l + "/" + weightName
            s.add(dataset, values)
            names.append(KerasNames.Weight(tensor: dataset, name: weightName))
        }
        s.keras = KerasNames(layout: .legacy, weights: names)
        return s
    }

    /// Keras 3 `.weights.h5`: datasets `layers/<class key>/…/vars/<n>`; names from the vars groups' `name` attributes.
    func keras3() -> Stored {
        var s = Stored()
        var names: [KerasNames.Weight] = []
        var blockCount = 0
        for (layer, path, index, _, values) in kerasWeights(perHeadKernels: true) {
            // A structural path in Keras 3 style (class keys and attribute names, never the layer name).
            let key: String
            if layer.hasPrefix("Transformer/encoderblock_") {
                let i = Int(layer.split(separator: "_").last!)!
                blockCount = max(blockCount, i + 1)
                let sub = path.dropFirst(layer.count + 1)
                let attr: String
                switch sub {
                case let x where x.hasSuffix("query"): attr = "att/query_dense"
                case let x where x.hasSuffix("key"): attr = "att/key_dense"
                case let x where x.hasSuffix("value"): attr = "att/value_dense"
                case let x where x.hasSuffix("attention_output"): attr = "att/output_dense"
                case let x where x.hasSuffix("Dense_0"): attr = "mlp/layers/dense"
                case let x where x.hasSuffix("Dense_1"): attr = "mlp/layers/dense_1"
                case "LayerNorm_0": attr = "ln0"
                default: attr = "ln2"
                }
                key = "layers/encoder_block" + (i == 0 ? "" : "_\(i)") + "/" + attr
            } else {
                key = ["embedding": "layers/conv2d", "class_token": "layers/class_token", "Transformer/posembed_input": "layers/add_position_embs",
                       "Transformer/encoder_norm": "layers/layer_normalization", "pre_logits": "layers/dense", "head": "layers/dense_1"][layer]!
            }
            let dataset = key + "/vars/\(index)"
            s.add(dataset, values)
            // The `name` attributes of the nested layers joined with `/`, then the variable index.
            let name = layer.replacingOccurrences(of: "/", with: "_") + path.dropFirst(layer.count) + "/\(index)"
            names.append(KerasNames.Weight(tensor: dataset, name: name))
        }
        s.keras = KerasNames(layout: .keras3, weights: names)
        return s
    }
}
