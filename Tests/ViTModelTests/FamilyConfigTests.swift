import Foundation
import Testing
import ViTModel

/// The family fields of `ViTConfig`: inconsistent combinations are refused naming the rule, and configs written
/// before the fields existed decode with plain-ViT defaults.
@Suite("Config: family features")
struct FamilyConfigTests {
    static func base(_ pool: ViTConfig.GlobalPool = .token, classToken: Bool = true, fcNorm: Bool = false,
                     preLogits: Int? = nil, distilled: Bool = false, finalNorm: Bool = true,
                     activation: ViTConfig.Activation = .gelu, registers: Int = 0, afterPos: Bool = false,
                     noEmbedClass: Bool = false) -> ViTConfig {
        ViTConfig(imageSize: [8, 8], patchSize: [4, 4], embedDim: 8, depth: 1, numHeads: 2, classToken: classToken,
                  registerTokens: registers, noEmbedClass: noEmbedClass, globalPool: pool, finalNorm: finalNorm,
                  fcNorm: fcNorm, preLogitsDim: preLogits, distilled: distilled, numClasses: 3, activation: activation,
                  registersAfterPosEmbed: afterPos)
    }

    @Test("token_avg pooling: 2·D features, needs a class token and a final norm, no fc_norm, pre-logits or distillation")
    func tokenAvg() throws {
        let ok = Self.base(.tokenAvg)
        try ok.validate()
        #expect(ok.featureDim == 16)
        #expect(ok.canonicalTensors.first { $0.name == "head.weight" }?.shape == [3, 16])
        #expect(throws: ViTConfigError.tokenPoolWithoutClassToken) { try Self.base(.tokenAvg, classToken: false).validate() }
        for bad in [Self.base(.tokenAvg, fcNorm: true), Self.base(.tokenAvg, preLogits: 4),
                    Self.base(.tokenAvg, distilled: true), Self.base(.tokenAvg, finalNorm: false)] {
            #expect(throws: ViTConfigError.tokenAvgPoolUnsupported) { try bad.validate() }
        }
        #expect(ViTConfigError.tokenAvgPoolUnsupported.description.contains("token_avg"))
    }

    @Test("a MAP pool with SwiGLU or a distillation token, and registers after pos_embed without what they need, are refused")
    func refusedCombinations() {
        #expect(throws: ViTConfigError.mapPoolUnsupported) { try Self.base(.map, classToken: false, activation: .swiglu).validate() }
        #expect(throws: ViTConfigError.registerArrangement) { try Self.base(registers: 0, afterPos: true).validate() }
        #expect(throws: ViTConfigError.registerArrangement) { try Self.base(registers: 2, afterPos: true, noEmbedClass: true).validate() }
        #expect(throws: Never.self) { try Self.base(registers: 2, afterPos: true).validate() }
    }

    @Test("a config written before the family fields decodes with plain-ViT defaults; the new fields round-trip")
    func decoding() throws {
        var json = try JSONSerialization.jsonObject(with: Data(Self.base().jsonString().utf8)) as? [String: Any] ?? [:]
        for k in ["activation", "head_bias", "registers_after_pos_embed", "pool_mlp_hidden_dim", "pos_embed_rule", "family"] {
            json[k] = nil
        }
        let old = try ViTConfig.fromJSON(String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self))
        #expect(old.activation == .gelu && old.headBias && !old.registersAfterPosEmbed && old.posEmbedRule == .bicubicAntialias)
        var c = Self.base(.tokenAvg, registers: 4, afterPos: true)
        c.activation = .quickGelu
        c.posEmbedRule = .dinov2Offset
        c.family = "DINOv2 (test)"
        #expect(try ViTConfig.fromJSON(c.jsonString()) == c)
    }
}
