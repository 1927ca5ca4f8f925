import Testing
import ViTModel
import ViTTensor
@testable import ViTMapping

@Suite("Config inference: heads, grid, eps, pooling, metadata")
struct InferenceTests {
    func plan(_ s: Synthetic.Stored, _ options: MappingOptions = MappingOptions(), configJSON: String? = nil,
              metadata: [String: String] = [:]) throws -> MappingResult {
        try ViTMapper.plan(s.infos, context: s.context(metadata: metadata, configJSON: configJSON), options: options)
    }

    @Test("timm: norm_pre means a CLIP arch, eps 1e-5 (said); a hub config.json's model_args.act_layer sets the activation")
    func timmCLIPDefaults() throws {
        let c = ViTConfig(imageSize: [8, 8], patchSize: [4, 4], embedDim: 24, depth: 1, numHeads: 2, normPre: true,
                          patchBias: false, numClasses: 3)
        let r = try plan(Synthetic(c).timm(), MappingOptions(heads: 2))
        #expect(r.config.layerNormEps == 1e-5)
        #expect(r.report.notes.contains { $0.contains("timm's CLIP archs (the ViTs with norm_pre) use eps 1e-5") })
        let plain = ViTConfig(imageSize: [8, 8], patchSize: [4, 4], embedDim: 24, depth: 1, numHeads: 2, numClasses: 3)
        #expect(try plan(Synthetic(plain).timm(), MappingOptions(heads: 2)).config.layerNormEps == 1e-6)
        for (act, want) in [("gelu_tanh", ViTConfig.Activation.geluTanh), ("quick_gelu", .quickGelu), ("gelu", .gelu)] {
            let json = #"{"architecture": "vit_x", "model_args": {"num_heads": 2, "act_layer": "\#(act)"}}"#
            #expect(try plan(Synthetic(plain).timm(), configJSON: json).config.activation == want)
        }
    }

    @Test("open_clip timm trunk: visual.trunk.* are timm names, visual.head.proj a bias-free projection, the text tower dropped")
    func openCLIPTrunk() throws {
        let c = ViTConfig(imageSize: [8, 8], patchSize: [4, 4], embedDim: 24, depth: 1, numHeads: 2, normPre: true,
                          patchBias: false, layerNormEps: 1e-5, numClasses: 16, headBias: false, family: "open_clip (timm trunk)")
        var s = Synthetic(c).timm()
        s.entries = s.entries.map { ($0.0 == "head.weight" ? "visual.head.proj.weight" : "visual.trunk." + $0.0, $0.1) }
        s.add("text.token_embedding.weight", Values(shape: [8, 4], data: [Float](repeating: 0.1, count: 32)))
        s.add("logit_scale", Values(shape: [], data: [2.3]))
        let r = try plan(s, MappingOptions(heads: 2))
        #expect(r.report.dialect == "open_clip timm trunk (visual.trunk.*)")
        #expect(r.config == c)
        #expect(r.report.notes.contains { $0.hasPrefix("dropped 2 tensor(s): text tower") })
    }

    @Test("heads: head dim 64 is assumed and reported when nothing records them")
    func assumedHeads() throws {
        let c = ViTConfig(imageSize: [8, 8], patchSize: [4, 4], embedDim: 128, depth: 1, numHeads: 2, numClasses: 2)
        let r = try plan(Synthetic(c).timm())
        #expect(r.config.numHeads == 2)
        #expect(r.report.headsSource == .assumedHeadDim64)
        #expect(r.report.notes.contains { $0.contains("2 heads assumed (head dim 64)") })
    }

    @Test("heads: an attention width head dim 64 does not divide needs --heads")
    func headsNeeded() throws {
        let c = ViTConfig(imageSize: [8, 8], patchSize: [4, 4], embedDim: 24, depth: 1, numHeads: 2, numClasses: 2)
        #expect(throws: MappingError.cannotInferHeads(file: "test.ckpt", attnDim: 24)) { try self.plan(Synthetic(c).timm()) }
        #expect(try plan(Synthetic(c).timm(), MappingOptions(heads: 3)).config.numHeads == 3)
        #expect(throws: MappingError.invalidConfig(file: "test.ckpt", error: .headsDoNotDivide(attnDim: 24, heads: 5))) {
            try self.plan(Synthetic(c).timm(), MappingOptions(heads: 5))
        }
    }

    @Test("heads: metadata and per-head kernels win, and a contradicting --heads is an error")
    func headsSources() throws {
        let c = ViTConfig(imageSize: [8, 8], patchSize: [4, 4], embedDim: 24, depth: 1, numHeads: 3, numClasses: 2)
        let m = Synthetic(c)
        let r = try plan(m.timm(), metadata: ["num_heads": "3"])
        #expect(r.report.headsSource == .metadata(key: "__metadata__.num_heads"))
        #expect(throws: MappingError.headsConflict(file: "test.ckpt", option: 4, found: 3, source: "__metadata__.num_heads")) {
            try self.plan(m.timm(), MappingOptions(heads: 4), metadata: ["num_heads": "3"])
        }
        #expect(throws: MappingError.badMetadata(file: "test.ckpt", key: "num_heads", message: "expected a positive integer, found \"three\"")) {
            try self.plan(m.timm(), metadata: ["num_heads": "three"])
        }
        let keras = m.kerasLegacy(perHeadKernels: true)
        #expect(try plan(keras).config.numHeads == 3)
        #expect(throws: MappingError.self) { try self.plan(keras, MappingOptions(heads: 2)) }
    }

    @Test("grid: a non-square grid needs the image size, from metadata or --source-image-size")
    func nonSquare() throws {
        let c = ViTConfig(imageSize: [8, 20], patchSize: [4, 4], embedDim: 24, depth: 1, numHeads: 2, numClasses: 2)
        let s = Synthetic(c).timm()
        #expect(throws: MappingError.cannotInferGrid(file: "test.ckpt", patchTokens: 10)) { try self.plan(s, MappingOptions(heads: 2)) }
        #expect(try plan(s, MappingOptions(heads: 2, imageSize: [8, 20])).config == c)
        #expect(try plan(s, MappingOptions(heads: 2), metadata: ["image_size": "[8, 20]"]).config == c)
        #expect(throws: MappingError.metadataMismatch(file: "test.ckpt", key: "--source-image-size", metadata: "8x16 (8 patches + 1 prefix tokens)",
                                                      weights: "11 position embeddings")) {
            try self.plan(s, MappingOptions(heads: 2, imageSize: [8, 16]))
        }
    }

    @Test("grid: HF config.json gives a non-square image size, and its patch size is checked")
    func hfNonSquare() throws {
        let c = ViTConfig(imageSize: [8, 20], patchSize: [4, 4], embedDim: 24, depth: 13, numHeads: 2, layerNormEps: 1e-12, numClasses: 2)
        let m = Synthetic(c)
        var labelled = c
        labelled.labels = ["LABEL_0", "LABEL_1"]
        labelled.posEmbedRule = .bicubic
        labelled.family = "ViT (transformers)"
        #expect(try plan(m.huggingFace(), configJSON: m.huggingFaceConfigJSON()).config == labelled)
        let wrongPatch = m.huggingFaceConfigJSON().replacingOccurrences(of: "\"patch_size\": 4", with: "\"patch_size\": 2")
        #expect(throws: MappingError.metadataMismatch(file: "test.ckpt", key: "config.json patch_size", metadata: "[2, 2]", weights: "patch [4, 4]")) {
            try self.plan(m.huggingFace(), configJSON: wrongPatch)
        }
    }

    @Test("Keras: a missing dataset is named by its canonical tensor and part")
    func kerasMissing() throws {
        let c = ViTConfig(imageSize: [8, 8], patchSize: [4, 4], embedDim: 24, depth: 2, numHeads: 2, numClasses: 2)
        var s = Synthetic(c).keras3()
        s.entries.removeAll { $0.0 == "layers/encoder_block_1/att/value_dense/vars/1" || $0.0 == "layers/encoder_block/ln2/vars/0" }
        #expect(throws: MappingError.missingTensors(file: "test.ckpt", names: ["blocks.0.norm2.weight", "blocks.1.attn.qkv.bias (no value bias)"])) {
            try self.plan(s)
        }
    }

    @Test("grid: a square grid is assumed without metadata and the report says so")
    func squareAssumed() throws {
        let c = ViTConfig(imageSize: [16, 16], patchSize: [4, 4], embedDim: 24, depth: 1, numHeads: 2, numClasses: 2)
        let r = try plan(Synthetic(c).timm(), MappingOptions(heads: 2))
        #expect(r.config.imageSize == [16, 16])
        #expect(r.report.notes.contains("image size 16x16 assumed from a square patch grid (no metadata gives it)"))
    }

    @Test("timm no_embed_class: pos_embed covering only the patches is recognised")
    func noEmbedClass() throws {
        let c = ViTConfig(imageSize: [12, 12], patchSize: [4, 4], embedDim: 24, depth: 1, numHeads: 2, registerTokens: 2,
                          noEmbedClass: true, numClasses: 2)
        #expect(try plan(Synthetic(c).timm(), MappingOptions(heads: 2)).config == c)
        let wide = ViTConfig(imageSize: [8, 12], patchSize: [4, 4], embedDim: 24, depth: 1, numHeads: 2, noEmbedClass: true, numClasses: 2)
        #expect(try plan(Synthetic(wide).timm(), MappingOptions(heads: 2, imageSize: [8, 12])).config == wide)
    }

    @Test("timm pooling: avg without a class token or with fc_norm, token otherwise; config.json global_pool wins")
    func timmPooling() throws {
        let base = ViTConfig(imageSize: [8, 8], patchSize: [4, 4], embedDim: 24, depth: 1, numHeads: 2, globalPool: .avg,
                             finalNorm: false, fcNorm: true, numClasses: 2)
        let r = try plan(Synthetic(base).timm(), MappingOptions(heads: 2))
        #expect(r.config.globalPool == .avg)
        #expect(r.report.notes.contains { $0.contains("global pool 'avg' assumed from fc_norm") })
        var token = base
        token.globalPool = .token
        token.family = "vit_tiny_patch16_224 (timm)"
        let json = #"{"architecture": "vit_tiny_patch16_224", "global_pool": "token", "num_classes": 2, "model_args": {"num_heads": 2}}"#
        let t = try plan(Synthetic(token).timm(), configJSON: json)
        #expect(t.config == token)
        #expect(t.report.headsSource == .metadata(key: "config.json model_args.num_heads"))
    }

    @Test("eps: --eps beats metadata beats the convention's default, and the report says which")
    func epsilon() throws {
        let c = ViTConfig(imageSize: [8, 8], patchSize: [4, 4], embedDim: 24, depth: 1, numHeads: 2, layerNormEps: 1e-12, numClasses: 2)
        let m = Synthetic(c)
        let hf = try plan(m.huggingFace(), MappingOptions(heads: 2))
        #expect(hf.config.layerNormEps == 1e-12)
        #expect(hf.report.notes.contains { $0.contains("transformers ViTConfig default") })
        let json = try plan(m.huggingFace(), configJSON: m.huggingFaceConfigJSON(eps: 1e-6))
        #expect(json.config.layerNormEps == 1e-6)
        let flag = try plan(m.huggingFace(), MappingOptions(layerNormEps: 1e-5), configJSON: m.huggingFaceConfigJSON())
        #expect(flag.config.layerNormEps == 1e-5)
    }

    @Test("HF config.json sizes are cross-checked against the weights")
    func hfMismatch() throws {
        let c = ViTConfig(imageSize: [8, 8], patchSize: [4, 4], embedDim: 24, depth: 2, numHeads: 2, layerNormEps: 1e-12, numClasses: 2)
        let m = Synthetic(c)
        let json = m.huggingFaceConfigJSON().replacingOccurrences(of: "\"num_hidden_layers\": 2", with: "\"num_hidden_layers\": 3")
        #expect(throws: MappingError.metadataMismatch(file: "test.ckpt", key: "config.json num_hidden_layers", metadata: "3", weights: "blocks 2")) {
            try self.plan(m.huggingFace(), configJSON: json)
        }
        let gelu = m.huggingFaceConfigJSON().replacingOccurrences(of: "\"hidden_act\": \"gelu\"", with: "\"hidden_act\": \"silu\"")
        #expect(throws: MappingError.unsupportedActivation(file: "test.ckpt", key: "config.json hidden_act", value: "silu")) {
            try self.plan(m.huggingFace(), configJSON: gelu)
        }
        #expect(throws: MappingError.badMetadata(file: "test.ckpt", key: "config.json", message: "not a JSON object")) {
            try self.plan(m.huggingFace(), configJSON: "[1, 2]")
        }
    }

    @Test("HF bare ViTModel: the pooler becomes pre_logits (tanh) with no classes; the mask token is unused")
    func hfPooler() throws {
        let c = ViTConfig(imageSize: [8, 8], patchSize: [4, 4], embedDim: 24, depth: 1, numHeads: 2, preLogitsDim: 24,
                          preLogitsActivation: .tanh, layerNormEps: 1e-12, numClasses: 0, posEmbedRule: .bicubic,
                          family: "ViT (transformers)")
        let m = Synthetic(c)
        var stored = m.huggingFace(prefix: "", maskToken: true)
        // Put the model's own pre_logits values where the pooler goes.
        stored.add("pooler.dense.weight", m.v("pre_logits.fc.weight"))
        stored.add("pooler.dense.bias", m.v("pre_logits.fc.bias"))
        #expect(throws: MappingError.unusedTensors(file: "test.ckpt", names: ["embeddings.mask_token (HF mask token (masked image modelling only))"])) {
            try self.plan(stored, configJSON: m.huggingFaceConfigJSON())
        }
        let r = try plan(stored, MappingOptions(allowUnused: true), configJSON: m.huggingFaceConfigJSON())
        #expect(r.config == c)
        #expect(r.plan.entry(named: "pre_logits.fc.weight")?.sources == ["pooler.dense.weight"])
        #expect(r.plan.unused == ["embeddings.mask_token"])
    }

    @Test("HF with a classifier: a pooler is not read by it, so it is unused")
    func hfPoolerWithClassifier() throws {
        let c = ViTConfig(imageSize: [8, 8], patchSize: [4, 4], embedDim: 24, depth: 1, numHeads: 2, layerNormEps: 1e-12, numClasses: 3)
        let stored = Synthetic(c).huggingFace(pooler: true)
        #expect(throws: MappingError.unusedTensors(file: "test.ckpt", names: [
            "pooler.dense.weight (pooler: the classifier reads the class token, not the pooler)",
            "pooler.dense.bias (pooler: the classifier reads the class token, not the pooler)"])) {
            try self.plan(stored, MappingOptions(heads: 2))
        }
    }

    @Test("ViTKit's own outputs: the embedded config is used verbatim and checked against every shape")
    func embeddedConfig() throws {
        var c = ViTConfig(imageSize: [8, 12], patchSize: [4, 4], embedDim: 24, depth: 2, numHeads: 3, attnDim: 30, registerTokens: 2,
                          noEmbedClass: true, preLogitsDim: 16, preLogitsActivation: .gelu, patchEmbed: .linear,
                          patchNormPre: true, layerNormEps: 1e-5, numClasses: 3)
        c.labels = ["a", "b", "c"]
        let m = Synthetic(c)
        let r = try plan(m.timm(), metadata: ["vitkit_config": c.jsonString()])
        #expect(r.config == c)
        #expect(r.report.configSource == "__metadata__.vitkit_config")
        #expect(r.report.headsSource == .metadata(key: "__metadata__.vitkit_config"))
        // The same config as a .bin's config JSON.
        #expect(try plan(m.timm(), configJSON: c.jsonString()).config == c)
        // A config that does not fit the tensors is caught.
        var wrong = c
        wrong.mlpHiddenDim = 50
        #expect(throws: MappingError.shapeMismatch(file: "test.ckpt", tensor: "blocks.0.mlp.fc1.weight", sources: ["blocks.0.mlp.fc1.weight"],
                                                   expected: [50, 24], found: [96, 24])) {
            try self.plan(m.timm(), metadata: ["vitkit_config": wrong.jsonString()])
        }
        #expect(throws: MappingError.self) { try self.plan(m.timm(), metadata: ["vitkit_config": "{\"embed_dim\": 3}"]) }
        #expect(throws: MappingError.headsConflict(file: "test.ckpt", option: 2, found: 3, source: "__metadata__.vitkit_config")) {
            try self.plan(m.timm(), MappingOptions(heads: 2), metadata: ["vitkit_config": c.jsonString()])
        }
    }

    @Test("a Linear patch embedding: 3 channels assumed when the length allows, --channels otherwise")
    func linearPatchChannels() throws {
        let c = ViTConfig(imageSize: [12, 12], patchSize: [3, 3], inChannels: 4, embedDim: 24, depth: 1, numHeads: 2, qkvBias: false,
                          finalNorm: false, fcNorm: true, patchEmbed: .linear, layerNormEps: 1e-5, numClasses: 2)
        let s = Synthetic(c).einops()
        // 36 = 4·3·3 is also 1·6·6 (and not 3·P·P): without --channels it would be read as 1 channel, 6x6 patches.
        let guessed = try plan(s, MappingOptions(heads: 2))
        #expect(guessed.config.inChannels == 1 && guessed.config.patchSize == [6, 6])
        #expect(guessed.report.notes.contains { $0.contains("1 input channel(s) assumed") })
        #expect(try plan(s, MappingOptions(heads: 2, inChannels: 4)).config == c)
        #expect(throws: MappingError.cannotInferPatch(file: "test.ckpt", tensor: "patch_embedding.1.weight", length: 36, channels: 5)) {
            try self.plan(s, MappingOptions(heads: 2, inChannels: 5))
        }
    }

    @Test("vit-pytorch pool='mean': the empty class token means mean pooling and is understood, not unused")
    func vitPytorchMean() throws {
        let c = ViTConfig(imageSize: [8, 8], patchSize: [4, 4], embedDim: 24, depth: 1, numHeads: 2, qkvBias: false, classToken: false,
                          globalPool: .avg, patchEmbed: .linear, patchNormPre: true, patchNormPost: true, layerNormEps: 1e-5, numClasses: 2)
        let r = try plan(Synthetic(c).vitPytorch(), MappingOptions(heads: 2))
        #expect(r.config == c)
        #expect(r.plan.unused.isEmpty)
        #expect(r.report.notes.contains { $0.contains("cls_token is empty (0, 24)") })
    }
}
