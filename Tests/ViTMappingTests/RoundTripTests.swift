import Testing
import ViTModel
import ViTTensor
@testable import ViTMapping

/// Each convention writer (Support/Exporters.swift) stores a random canonical model the way its library does;
/// mapping it back must give the same config and every canonical tensor bit for bit, at several sizes.
@Suite("Round trips through every convention")
struct RoundTripTests {
    /// Plans, checks the config, materialises everything and compares with the canonical values.
    func roundTrip(_ m: Synthetic, _ stored: Synthetic.Stored, expected: ViTConfig, convention: Convention,
                   options: MappingOptions = MappingOptions(), metadata: [String: String] = [:],
                   configJSON: String? = nil, dtype: DType = .f32) throws -> MappingResult {
        let source = try stored.source(metadata: metadata, configJSON: configJSON, dtype: dtype)
        let context = stored.context(file: source.path, metadata: metadata, configJSON: configJSON)
        let result = try ViTMapper.plan(source.tensorInfos, context: context, options: options)
        #expect(result.report.convention == convention)
        #expect(result.config == expected)
        #expect(result.plan.entries.map(\.canonicalName) == expected.canonicalTensors.map(\.name))
        #expect(result.plan.unused.isEmpty)
        for e in result.plan.entries {
            let t = try ViTMapper.materialize(e, from: source)
            #expect(t.dtype == dtype, "\(e.canonicalName)")
            let want = try m.v(e.canonicalName).tensor(dtype)
            #expect(t == want, "\(e.canonicalName) via \(e.transform)")
        }
        return result
    }

    static let sizes: [(d: Int, depth: Int, heads: Int, grid: [Int], patch: Int, classes: Int)] = [
        (24, 1, 2, [3, 3], 4, 5), (96, 13, 3, [2, 2], 2, 7), (32, 2, 4, [4, 4], 8, 0),
    ]

    @Test("timm checkpoints map onto themselves, with every optional part", arguments: 0..<3)
    func timm(_ k: Int) throws {
        let s = Self.sizes[k]
        let configs = [
            ViTConfig(imageSize: s.grid.map { $0 * s.patch }, patchSize: [s.patch, s.patch], embedDim: s.d, depth: s.depth,
                      numHeads: s.heads, numClasses: s.classes),
            ViTConfig(imageSize: s.grid.map { $0 * s.patch }, patchSize: [s.patch, s.patch], embedDim: s.d, depth: s.depth,
                      numHeads: s.heads, qkvBias: false, registerTokens: 4, globalPool: .avg, finalNorm: false, fcNorm: true,
                      layerScale: true, distilled: true, numClasses: s.classes),
            ViTConfig(imageSize: s.grid.map { $0 * s.patch }, patchSize: [s.patch, s.patch], embedDim: s.d, depth: s.depth,
                      numHeads: s.heads, classToken: false, globalPool: .avg, finalNorm: false, fcNorm: true, normPre: true,
                      patchBias: false, layerNormEps: 1e-5, numClasses: s.classes),  // norm_pre: timm's CLIP archs, eps 1e-5
        ]
        for c in configs {
            let m = Synthetic(c)
            _ = try roundTrip(m, m.timm(), expected: c, convention: .timm, options: MappingOptions(heads: s.heads))
        }
    }

    @Test("torchvision checkpoints (mlp.0/3 and mlp.linear_1/2, with and without pre-logits)", arguments: 0..<3)
    func torchvision(_ k: Int) throws {
        let s = Self.sizes[k]
        for preLogits in [nil, 2 * s.d] {
            let c = ViTConfig(imageSize: s.grid.map { $0 * s.patch }, patchSize: [s.patch, s.patch], embedDim: s.d,
                              depth: s.depth, numHeads: s.heads, mlpHiddenDim: 3 * s.d, preLogitsDim: preLogits,
                              numClasses: max(s.classes, 1))
            let m = Synthetic(c)
            for old in [false, true] {
                let r = try roundTrip(m, m.torchvision(oldMLPNames: old), expected: c, convention: .torchvision,
                                      options: MappingOptions(heads: s.heads))
                #expect(r.report.headsSource == .userFlag)
            }
        }
    }

    @Test("Hugging Face checkpoints with config.json: heads, eps 1e-12 and labels come from it", arguments: 0..<3)
    func huggingFace(_ k: Int) throws {
        let s = Self.sizes[k]
        var c = ViTConfig(imageSize: s.grid.map { $0 * s.patch }, patchSize: [s.patch, s.patch], embedDim: s.d, depth: s.depth,
                          numHeads: s.heads, layerNormEps: 1e-12, numClasses: s.classes)
        c.labels = s.classes > 0 ? (0..<s.classes).map { "class \($0)" } : nil
        c.posEmbedRule = .bicubic  // transformers interpolates without antialias at run time
        c.family = "ViT (transformers)"  // config.json model_type "vit"
        let m = Synthetic(c)
        let json = m.huggingFaceConfigJSON(labels: c.labels)
        let r = try roundTrip(m, m.huggingFace(), expected: c, convention: .hf, configJSON: json)
        #expect(r.report.headsSource == .metadata(key: "config.json num_attention_heads"))
        let q = try #require(r.plan.entry(named: "blocks.0.attn.qkv.weight"))
        #expect(q.sources == ["vit.encoder.layer.0.attention.attention.query.weight", "vit.encoder.layer.0.attention.attention.key.weight",
                              "vit.encoder.layer.0.attention.attention.value.weight"])
        #expect(q.transform == .concatRows([.identity, .identity, .identity]))
    }

    @Test("vit-pytorch 1.x: 2-D tokens, patch LayerNorms, Linear patches, no qkv bias, attention width ≠ D", arguments: 0..<3)
    func vitPytorch(_ k: Int) throws {
        let s = Self.sizes[k]
        for mean in [false, true] {
            let c = ViTConfig(imageSize: s.grid.map { $0 * s.patch }, patchSize: [s.patch, s.patch], embedDim: s.d, depth: s.depth,
                              numHeads: s.heads, attnDim: s.heads * 16, mlpHiddenDim: 2 * s.d, qkvBias: false, classToken: !mean,
                              globalPool: mean ? .avg : .token, patchEmbed: .linear, patchNormPre: true, patchNormPost: true,
                              layerNormEps: 1e-5, numClasses: max(s.classes, 1))
            let m = Synthetic(c)
            let r = try roundTrip(m, m.vitPytorch(), expected: c, convention: .vitPytorch, options: MappingOptions(heads: s.heads))
            #expect(r.plan.entry(named: "patch_embed.proj.weight")?.transform
                    == .patchLinearToConv(patch: [s.patch, s.patch], channels: 3))
            #expect(r.plan.entry(named: "patch_embed.norm_pre.weight")?.transform == .patchNormToCHW(patch: [s.patch, s.patch], channels: 3))
            if !mean { #expect(r.plan.entry(named: "cls_token")?.transform == .reshape(to: [1, 1, s.d])) }
        }
    }

    @Test("vit-pytorch 0.35 (PreNorm): 3-D tokens, a bare Linear patch embedding, mlp_head = LayerNorm + Linear", arguments: 0..<3)
    func vitPytorchPreNorm(_ k: Int) throws {
        let s = Self.sizes[k]
        let c = ViTConfig(imageSize: s.grid.map { $0 * s.patch }, patchSize: [s.patch, s.patch], embedDim: s.d, depth: s.depth,
                          numHeads: s.heads, attnDim: s.heads * 8, mlpHiddenDim: 2 * s.d, qkvBias: false, finalNorm: false,
                          fcNorm: true, patchEmbed: .linear, layerNormEps: 1e-5, numClasses: max(s.classes, 1))
        let m = Synthetic(c)
        let r = try roundTrip(m, m.vitPytorchPreNorm(), expected: c, convention: .vitPytorch, options: MappingOptions(heads: s.heads))
        #expect(r.report.dialect == "vit-pytorch 0.35 (PreNorm)")
    }

    @Test("hand-written nn.TransformerEncoderLayer models, under any container prefix", arguments: 0..<3)
    func torchMHA(_ k: Int) throws {
        let s = Self.sizes[k]
        let c = ViTConfig(imageSize: s.grid.map { $0 * s.patch }, patchSize: [s.patch, s.patch], embedDim: s.d, depth: s.depth,
                          numHeads: s.heads, mlpHiddenDim: 2 * s.d, finalNorm: false, fcNorm: true, preLogitsDim: s.d, preLogitsActivation: .gelu,
                          layerNormEps: 1e-5, numClasses: max(s.classes, 1))
        let m = Synthetic(c)
        for (container, head) in [("encoder.layers", "mlp_head"), ("transformer.layers", "head"), ("model.transformer_encoder.layers", "classifier")] {
            _ = try roundTrip(m, m.torchMHA(container: container, head: head), expected: c, convention: .torchMHA,
                              options: MappingOptions(heads: s.heads))
        }
    }

    @Test("hand-written einops models: Linear (p1 p2 c) patches, norms inside attention and feed-forward", arguments: 0..<3)
    func einops(_ k: Int) throws {
        let s = Self.sizes[k]
        // A non-square image: its size has to be given (no metadata records it).
        let image = [s.grid[0] * s.patch * 2, s.grid[1] * s.patch]
        let c = ViTConfig(imageSize: image, patchSize: [s.patch, s.patch], embedDim: s.d, depth: s.depth,
                          numHeads: s.heads, attnDim: 8 * s.heads, mlpHiddenDim: 2 * s.d, qkvBias: false,
                          finalNorm: false, fcNorm: true, patchEmbed: .linear, layerNormEps: 1e-5, numClasses: max(s.classes, 1))
        let m = Synthetic(c)
        let r = try roundTrip(m, m.einops(), expected: c, convention: .einops,
                              options: MappingOptions(heads: s.heads, imageSize: image))
        #expect(r.report.notes.contains { $0.contains("3 input channel(s) assumed") })
    }

    @Test("Keras legacy .h5 with vit-keras names: Keras 2 (`/`, `:0`) and Keras 3 (`_`) spellings, Dense or per-head kernels", arguments: 0..<3)
    func kerasLegacy(_ k: Int) throws {
        let s = Self.sizes[k]
        let c = ViTConfig(imageSize: s.grid.map { $0 * s.patch }, patchSize: [s.patch, s.patch], embedDim: s.d, depth: s.depth,
                          numHeads: s.heads, preLogitsDim: s.classes > 0 ? s.d : nil, numClasses: max(s.classes, 1))
        let m = Synthetic(c)
        for joins in [false, true] {
            for perHead in [false, true] {
                let r = try roundTrip(m, m.kerasLegacy(perHeadKernels: perHead, keras3Joins: joins), expected: c,
                                      convention: .kerasLegacy, options: MappingOptions(heads: perHead ? nil : s.heads))
                if perHead {
                    #expect(r.report.headsSource == .weights(tensor: joins
                        ? "Transformer_encoderblock_0/Transformer_encoderblock_0/MultiHeadDotProductAttention_1/query/kernel"
                        : "Transformer/encoderblock_0/Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query/kernel:0"))
                    #expect(r.plan.entry(named: "blocks.0.attn.qkv.weight")?.transform
                            == .concatRows(Array(repeating: .jaxQKVKernel(heads: s.heads, headDim: s.d / s.heads), count: 3)))
                    #expect(r.plan.entry(named: "blocks.0.attn.proj.weight")?.transform == .jaxOutKernel(heads: s.heads, headDim: s.d / s.heads))
                }
                #expect(r.plan.entry(named: "patch_embed.proj.weight")?.transform == .hwioToOihw)
            }
        }
    }

    @Test("Keras 3 .weights.h5: structural paths, names from the vars groups, heads from the kernels", arguments: 0..<3)
    func keras3(_ k: Int) throws {
        let s = Self.sizes[k]
        let c = ViTConfig(imageSize: s.grid.map { $0 * s.patch }, patchSize: [s.patch, s.patch], embedDim: s.d, depth: s.depth,
                          numHeads: s.heads, preLogitsDim: s.classes > 0 ? s.d : nil, numClasses: max(s.classes, 1))
        let m = Synthetic(c)
        let r = try roundTrip(m, m.keras3(), expected: c, convention: .keras3)
        #expect(r.report.headsSource == .weights(tensor: "layers/encoder_block/att/query_dense/vars/0"))
    }

    @Test("half-precision sources keep their dtype bit for bit through permutations and concatenation")
    func halfPrecision() throws {
        let c = ViTConfig(imageSize: [8, 8], patchSize: [4, 4], embedDim: 8, depth: 2, numHeads: 2, numClasses: 3)
        let m = Synthetic(c)
        for dtype in [DType.f16, .bf16] {
            _ = try roundTrip(m, m.kerasLegacy(perHeadKernels: true), expected: c, convention: .kerasLegacy, dtype: dtype)
            var hf = c
            hf.layerNormEps = 1e-12
            hf.posEmbedRule = .bicubic
            let mh = Synthetic(hf)
            _ = try roundTrip(mh, mh.huggingFace(), expected: hf, convention: .hf, options: MappingOptions(heads: 2), dtype: dtype)
        }
    }
}
