import Foundation
import Testing
import ViTTensor
@testable import ViTModel
import ViTTestSupport

// Reference numbers made by tools/reference_summary.py with fvcore 0.1.5, torchinfo 1.8 and timm 1.0.31.
private let summaryFixtures = Fixtures.url("summary")

private struct ReferenceFile: Decodable, Sendable {
    let cases: [ReferenceCase]
}

private struct FvcoreCounts: Decodable, Sendable {
    let total: Int
    let byOperator: [String: Int]
    let activations: Int
    enum CodingKeys: String, CodingKey { case total, byOperator = "by_operator", activations }
}

/// One torchinfo row: [type, attribute name, depth, depth index, output shape, params, leftover, leaf].
private struct TorchinfoRow: Decodable, Sendable {
    var type: String, varName: String, depth: Int, index: Int, shape: [Int], params: Int, leftover: Int
    var isLeaf: Bool
    init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        type = try c.decode(String.self)
        varName = try c.decode(String.self)
        depth = try c.decode(Int.self)
        index = try c.decode(Int.self)
        shape = try c.decode([Int].self)
        params = try c.decode(Int.self)
        leftover = try c.decode(Int.self)
        isLeaf = try c.decode(Bool.self)
    }
}

private struct TorchinfoTotals: Decodable, Sendable {
    let totalParams: Int, trainableParams: Int, totalMultAdds: Int
    let inputBytes: Int, inputNbytes: Int, forwardBackwardBytes: Int, paramsBytes: Int
    let rows: [TorchinfoRow]?
    enum CodingKeys: String, CodingKey {
        case totalParams = "total_params", trainableParams = "trainable_params", totalMultAdds = "total_mult_adds"
        case inputBytes = "input_bytes", inputNbytes = "input_nbytes"
        case forwardBackwardBytes = "forward_backward_bytes", paramsBytes = "params_bytes", rows
    }
}

private struct ReferenceCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let config: ViTConfig
    let batch: Int
    let runImageSize: [Int]
    let params: Int
    let fvcoreFused: FvcoreCounts?
    let fvcoreUnfused: FvcoreCounts?
    let fvcoreExplicit: FvcoreCounts?
    let torchinfo: TorchinfoTotals
    var testDescription: String { name }
    enum CodingKeys: String, CodingKey {
        case name, config, batch, runImageSize = "run_image_size", params
        case fvcoreFused = "fvcore_fused", fvcoreUnfused = "fvcore_unfused", fvcoreExplicit = "fvcore_explicit"
        case torchinfo
    }

    /// timm models: torchinfo's module tree is the one ViTSummary describes.
    var isTimm: Bool { fvcoreUnfused != nil }

    func summary() throws -> ViTSummary {
        try ViTSummary(config: config, batch: batch, imageSize: runImageSize)
    }
}

private let referenceCases: [ReferenceCase] = {
    let url = summaryFixtures.appendingPathComponent("reference.json")
    guard let data = try? Data(contentsOf: url),
          let file = try? JSONDecoder().decode(ReferenceFile.self, from: data) else { return [] }
    return file.cases
}()

private func referenceCase(_ name: String) throws -> ReferenceCase {
    try #require(referenceCases.first { $0.name == name })
}

private func fixtureText(_ name: String) throws -> String {
    try String(contentsOf: summaryFixtures.appendingPathComponent(name), encoding: .utf8)
}

/// The table rows of a torchinfo-style text: the lines between the second and third rule.
private func tableRows(_ text: String) -> [String] {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let rules = lines.indices.filter { lines[$0].hasPrefix("=====") }
    guard rules.count >= 3 else { return [] }
    return Array(lines[(rules[1] + 1)..<rules[2]])
}

@Suite("Model summary against fvcore and torchinfo")
struct SummaryTests {
    @Test("the reference file holds every model the summary is checked against")
    func referenceFileLoads() {
        let names = Set(referenceCases.map(\.name))
        for name in ["vit_tiny_patch16_224", "vit_small_patch16_224", "vit_base_patch16_224",
                     "vit_large_patch16_224", "vit_base_patch16_384", "vit_base_patch16_224_run_at_384",
                     "deit_tiny_distilled_patch16_224", "everything_batch3", "vit_pytorch_mean",
                     "mha_vit_b16_head_mlp"] {
            #expect(names.contains(name), "missing reference case \(name)")
        }
        #expect(referenceCases.count == 26)
    }

    @Test("parameter counts equal PyTorch's for every reference model", arguments: referenceCases)
    fileprivate func parameterCounts(_ ref: ReferenceCase) throws {
        let s = try ref.summary()
        #expect(s.totalParams == ref.params)
        #expect(ref.config.parameterCount == ref.params)
        #expect(s.trainableParams == ref.torchinfo.trainableParams)
        #expect(s.nonTrainableParams == 0)
        #expect(ref.torchinfo.totalParams == ref.params)
    }

    @Test("MACs equal fvcore's total with explicit attention, and without attention its total with fused attention",
          arguments: referenceCases.filter(\.isTimm))
    fileprivate func timmMACs(_ ref: ReferenceCase) throws {
        let s = try ref.summary()
        let off = try #require(ref.fvcoreUnfused), on = try #require(ref.fvcoreFused)
        #expect(s.macs == off.total)
        #expect(s.macsWithoutAttention == on.total)
        #expect(s.macBreakdown.conv == off.byOperator["conv", default: 0])
        #expect(s.macBreakdown.linear == off.byOperator["linear", default: 0])
        #expect(s.macBreakdown.attentionMatmul == off.byOperator["matmul", default: 0])
        #expect(s.macBreakdown.layerNorm == off.byOperator["layer_norm", default: 0])
        #expect(on.byOperator["matmul"] == nil)
        #expect(s.activations == off.activations)
        #expect(s.activationsWithoutAttention == on.activations)
    }

    @Test("a vit-pytorch model (linear patch embedding, patch LayerNorms, narrow attention) matches fvcore")
    func vitPytorchMACs() throws {
        let ref = try referenceCase("vit_pytorch_mean")
        let fv = try #require(ref.fvcoreExplicit)
        let s = try ref.summary()
        #expect(s.macs == fv.total)
        #expect(s.activations == fv.activations)
        // vit-pytorch runs the patch embedding as a Linear; ViTKit describes it as the equivalent conv.
        #expect(s.macBreakdown.conv + s.macBreakdown.linear == fv.byOperator["linear", default: 0])
        #expect(s.macBreakdown.attentionMatmul == fv.byOperator["matmul", default: 0])
        #expect(s.macBreakdown.layerNorm == fv.byOperator["layer_norm", default: 0])
        #expect(s.forwardBackwardBytes == ref.torchinfo.forwardBackwardBytes)
        #expect(s.torchinfo.paramsBytes == ref.torchinfo.paramsBytes)
    }

    @Test("memory totals equal torchinfo's (forward/backward exactly; params size true, torchinfo's reproduced)",
          arguments: referenceCases.filter(\.isTimm))
    fileprivate func torchinfoTotals(_ ref: ReferenceCase) throws {
        let s = try ref.summary()
        #expect(s.forwardBackwardBytes == ref.torchinfo.forwardBackwardBytes)
        #expect(s.torchinfo.paramsBytes == ref.torchinfo.paramsBytes)
        #expect(s.torchinfo.multAdds == ref.torchinfo.totalMultAdds)
        #expect(s.paramsBytes == 4 * ref.params)
        let rootOwn = try #require(s.layers.first).ownParams
        #expect(s.paramsBytes - ref.torchinfo.paramsBytes == 4 * rootOwn)
        // torchinfo's input size is sys.getsizeof of the storage: the tensor bytes plus Python's
        // 64-byte object header.
        #expect(s.inputBytes == ref.torchinfo.inputNbytes)
        #expect(ref.torchinfo.inputBytes - ref.torchinfo.inputNbytes == 64)
        #expect(s.estimatedTotalBytes == s.inputBytes + s.forwardBackwardBytes + s.paramsBytes)
    }

    @Test("rows equal torchinfo's rows without Identity and Dropout (type, name, depth-idx, shape, params)",
          arguments: referenceCases.filter { $0.torchinfo.rows != nil })
    fileprivate func rowsMatchTorchinfo(_ ref: ReferenceCase) throws {
        let s = try ref.summary()
        var expected = try #require(ref.torchinfo.rows).filter { $0.type != "Identity" && $0.type != "Dropout" }
        // The pre-logits reference model is a timm subclass; its root is a VisionTransformer.
        if expected.first?.type == "PreLogitsViT" { expected[0].type = "VisionTransformer" }
        #expect(s.layers.count == expected.count)
        for (ours, theirs) in zip(s.layers, expected) {
            #expect(ours.type == theirs.type)
            #expect(ours.depth == 0 || ours.shortName == theirs.varName)
            #expect(ours.depth == theirs.depth && ours.index == theirs.index,
                    "\(ours.name): \(ours.depthIndex) vs \(theirs.depth)-\(theirs.index)")
            #expect(ours.outputShape == theirs.shape, "\(ours.name)")
            #expect(ours.params == (ours.depth == 0 ? theirs.leftover : theirs.params), "\(ours.name)")
            #expect(ours.ownParams == theirs.leftover, "\(ours.name)")
            #expect(ours.isLeaf == theirs.isLeaf, "\(ours.name)")
        }
    }

    @Test("vit_tiny rendered at depth 3 prints torchinfo's lines, minus the Identity and Dropout rows")
    func vitTinyTableEqualsTorchinfoText() throws {
        let torchinfoText = try fixtureText("torchinfo_vit_tiny_depth3.txt")
        let ours = try referenceCase("vit_tiny_patch16_224").summary().render(depth: 3)
        let expected = tableRows(torchinfoText).filter { !$0.contains("Identity: ") && !$0.contains("Dropout: ") }
        let rows = tableRows(ours)
        #expect(rows.count == 1 + 1 + 1 + 1 + 12 * 5 + 2)  // root, patch_embed, proj, blocks, 12 blocks, norm, head
        #expect(rows == expected)
        // Same header, rules and the totals torchinfo gets right.
        let oursLines = ours.split(separator: "\n").map(String.init)
        let theirLines = torchinfoText.split(separator: "\n").map(String.init)
        #expect(Array(oursLines.prefix(3)) == Array(theirLines.prefix(3)))
        for line in ["Total params: 5,717,416", "Trainable params: 5,717,416", "Non-trainable params: 0",
                     "Input size (MB): 0.60", "Forward/backward pass size (MB): 40.55"] {
            #expect(oursLines.contains(line) && theirLines.contains(line), "\(line)")
        }
        // torchinfo's params size leaves out cls_token + pos_embed; ViTKit prints every parameter.
        #expect(theirLines.contains("Params size (MB): 22.72"))
        #expect(ViTSummary.megabytes(try referenceCase("vit_tiny_patch16_224").summary().torchinfo.paramsBytes) == "22.72")
        #expect(oursLines.contains("Params size (MB): 22.87"))
        #expect(oursLines.contains("MACs: 1,258,411,200 (1.26 G)"))
        #expect(oursLines.contains("MACs without attention: 1,079,579,328 (1.08 G)"))
        #expect(oursLines.contains("Activations: 5,974,636 (5.97 M)"))
    }

    @Test("vit_tiny rendered at depth 2 equals the committed snapshot")
    func vitTinySnapshot() throws {
        let rendered = try referenceCase("vit_tiny_patch16_224").summary().render(depth: 2)
        let url = summaryFixtures.appendingPathComponent("vit_tiny_depth2.txt")
        if ProcessInfo.processInfo.environment["VITKIT_RECORD_SNAPSHOTS"] == "1" {
            try rendered.write(to: url, atomically: true, encoding: .utf8)
        }
        #expect(rendered == (try fixtureText("vit_tiny_depth2.txt")))
    }

    @Test("the depth limit hides deeper rows; containers at the limit show their whole subtree")
    func depthLimit() throws {
        let s = try ViTSummary(config: ViTConfig(embedDim: 192, depth: 12, numHeads: 3))
        let root = tableRows(s.render(depth: 0))
        #expect(root == ["VisionTransformer                        [1, 1000]                 5,717,416"])
        let one = tableRows(s.render(depth: 1))
        #expect(one.count == 5)
        #expect(one.contains("├─Sequential: 1-5                        [1, 197, 192]             5,338,368"))
        let four = tableRows(s.render(depth: 4))
        #expect(four.count == s.layers.count)
        #expect(four.contains("│    │    │    └─Linear: 4-1             [1, 197, 576]             111,168"))
        #expect(four.contains("│    │    └─Attention: 3-2               [1, 197, 192]             --"))
        #expect(tableRows(s.render(depth: -1)) == root)
    }

    @Test("a run at another resolution changes the sequence, not the parameters")
    func otherResolution() throws {
        let b224 = ViTConfig(embedDim: 768, depth: 12, numHeads: 12)
        let s = try ViTSummary(config: b224, imageSize: [384, 384])
        let ref384 = try referenceCase("vit_base_patch16_384")
        #expect(s.sequenceLength == 577)
        #expect(s.totalParams == 86_567_656)
        #expect(s.macs == ref384.fvcoreUnfused?.total)
        #expect(s.macs == 55_539_742_464)
        #expect(s.inputShape == [1, 3, 384, 384])
        #expect(s.layers.first { $0.name == "patch_embed.proj" }?.outputShape == [1, 768, 24, 24])
    }

    @Test("the nn.MultiheadAttention ViT-B/16 with an MLP head has torchinfo's 86,396,938 parameters")
    func multiheadAttentionModel() throws {
        let c = ViTConfig(embedDim: 768, depth: 12, numHeads: 12, finalNorm: true, preLogitsDim: 768,
                          preLogitsActivation: .gelu, numClasses: 10)
        let s = try ViTSummary(config: c)
        #expect(s.totalParams == 86_396_938)
        #expect(try referenceCase("mha_vit_b16_head_mlp").torchinfo.totalParams == 86_396_938)
        #expect(s.layers.map(\.name).suffix(4) == ["pre_logits", "pre_logits.fc", "pre_logits.act", "head"])
        #expect(s.layers.first { $0.name == "pre_logits.act" }?.type == "GELU")
    }

    @Test("the published fvcore figures for Ti/S/B/L at 224 are reproduced")
    func publishedFigures() throws {
        let expected: [(Int, Int, Int, Int, Int)] = [  // D, depth, heads, MACs, MACs without attention
            (192, 12, 3, 1_258_411_200, 1_079_579_328), (384, 12, 6, 4_608_338_304, 4_250_674_560),
            (768, 12, 12, 17_582_740_224, 16_867_412_736), (1024, 24, 16, 61_604_135_936, 59_696_595_968)]
        for (d, n, h, macs, fused) in expected {
            let s = try ViTSummary(config: ViTConfig(embedDim: d, depth: n, numHeads: h))
            #expect(s.macs == macs)
            #expect(s.macsWithoutAttention == fused)
        }
    }

    @Test("params size follows the stored dtype; activations stay float32")
    func parameterDType() throws {
        let c = ViTConfig(embedDim: 192, depth: 12, numHeads: 3)
        let f32 = try ViTSummary(config: c)
        let f16 = try ViTSummary(config: c, parameterDType: .f16)
        #expect(f16.paramsBytes == 2 * 5_717_416)
        #expect(f16.torchinfo.paramsBytes == 2 * (5_717_416 - 38_016))
        #expect(f16.forwardBackwardBytes == f32.forwardBackwardBytes)
        #expect(f16.render().contains("Params size (MB, f16): 11.43\n"))
    }

    @Test("batch 2 doubles every count except the parameters")
    func batchTwo() throws {
        let c = ViTConfig(embedDim: 192, depth: 12, numHeads: 3)
        let one = try ViTSummary(config: c), two = try ViTSummary(config: c, batch: 2)
        #expect(two.macs == 2 * one.macs)
        #expect(two.activations == 2 * one.activations)
        #expect(two.forwardBackwardBytes == 2 * one.forwardBackwardBytes)
        #expect(two.totalParams == one.totalParams)
        #expect(two.layers[0].outputShape == [2, 1000])
    }

    @Test("JSON carries the documented keys and decodes back to the same summary")
    func json() throws {
        var c = ViTConfig(embedDim: 192, depth: 2, numHeads: 3, registerTokens: 4, numClasses: 3)
        c.labels = ["a", "b", "c"]
        let s = try ViTSummary(config: c, imageSize: [224, 160])
        let o = s.jsonObject
        for key in ["config", "total_params", "macs", "macs_without_attention", "activations", "layers",
                    "batch", "image_size", "input_shape", "params_bytes", "forward_backward_bytes", "torchinfo"] {
            #expect(o[key] != nil, "missing \(key)")
        }
        let config = try #require(o["config"] as? [String: Any])
        for key in ["image_size", "patch_size", "in_channels", "embed_dim", "depth", "num_heads", "attn_dim",
                    "mlp_hidden_dim", "num_classes", "class_token", "register_tokens", "distilled", "global_pool"] {
            #expect(config[key] != nil, "missing config.\(key)")
        }
        #expect(config["labels"] == nil)
        #expect(o["image_size"] as? [Int] == [224, 160])
        #expect(o["total_params"] as? Int == s.totalParams)
        let layers = try #require(o["layers"] as? [[String: Any]])
        #expect(layers.count == s.layers.count)
        let qkv = try #require(layers.first { $0["name"] as? String == "blocks.1.attn.qkv" })
        #expect(qkv["type"] as? String == "Linear")
        #expect(qkv["index"] as? String == "4-13")
        #expect(qkv["depth"] as? Int == 4)
        #expect(qkv["output_shape"] as? [Int] == [1, 145, 576])
        #expect(qkv["params"] as? Int == 111_168)
        let decoded = try JSONDecoder().decode(ViTSummary.self, from: Data(s.jsonString().utf8))
        #expect(decoded == s)
        #expect(s.config.labels == nil)
    }

    @Test("bad batch, image size or config is an error naming the numbers")
    func errors() throws {
        let c = ViTConfig(embedDim: 192, depth: 2, numHeads: 3)
        #expect(throws: ViTSummaryError.batchNotPositive(0)) { try ViTSummary(config: c, batch: 0) }
        #expect(throws: ViTSummaryError.badImageSize([224])) { try ViTSummary(config: c, imageSize: [224]) }
        #expect(throws: ViTSummaryError.badImageSize([0, 224])) { try ViTSummary(config: c, imageSize: [0, 224]) }
        #expect(throws: ViTSummaryError.imageNotTiled(imageSize: [225, 224], patchSize: [16, 16])) {
            try ViTSummary(config: c, imageSize: [225, 224])
        }
        #expect(throws: ViTConfigError.headsDoNotDivide(attnDim: 192, heads: 5)) {
            try ViTSummary(config: ViTConfig(embedDim: 192, depth: 2, numHeads: 5))
        }
        do {
            _ = try ViTSummary(config: c, batch: 1 << 40, imageSize: [1 << 12, 1 << 12])
            Issue.record("expected tooLarge")
        } catch let ViTSummaryError.tooLarge(quantity, value) {
            #expect(quantity == "the MAC count")
            #expect(value > 7.2e16)
        }
        #expect(ViTSummaryError.imageNotTiled(imageSize: [225, 224], patchSize: [16, 16]).description
                == "summary: image 225x224 is not a whole number of 16x16 patches")
    }

    @Test("number formatting groups thousands and scales units like the rendered table")
    func formatting() {
        #expect(ViTSummary.grouped(0) == "0")
        #expect(ViTSummary.grouped(999) == "999")
        #expect(ViTSummary.grouped(1000) == "1,000")
        #expect(ViTSummary.grouped(61_604_135_936) == "61,604,135,936")
        #expect(ViTSummary.scaled(512) == "512")
        #expect(ViTSummary.scaled(61_604_135_936) == "61.60 G")
        #expect(ViTSummary.megabytes(40_553_792) == "40.55")
    }
}
