import Testing
import ViTTensor
@testable import ViTMapping

@Suite("Name patterns")
struct NamePatternTests {
    @Test("a block index is read as a number, so encoder_layer_10 is block 10 (no zero padding needed)")
    func blockIndex() {
        let p = NamePattern("encoder.layers.encoder_layer_{i}.ln_1.weight")
        #expect(p.match("encoder.layers.encoder_layer_10.ln_1.weight") == NamePattern.Captures(block: 10, entry: nil))
        #expect(p.match("encoder.layers.encoder_layer_9.ln_1.weight")?.block == 9)
        #expect(p.match("encoder.layers.encoder_layer_.ln_1.weight") == nil)
        #expect(p.match("encoder.layers.encoder_layer_x.ln_1.weight") == nil)
    }

    @Test("patterns match whole names only: no prefix, no suffix, no substring")
    func anchored() {
        let p = NamePattern("blocks.{i}.norm1.weight")
        #expect(p.match("blocks.3.norm1.weight") != nil)
        #expect(p.match("model.blocks.3.norm1.weight") == nil)
        #expect(p.match("blocks.3.norm1.weight_g") == nil)
        #expect(p.match("blocks.3.norm1.weigh") == nil)
        // The HF MLP output never matches the attention output, and the other way round.
        let mlp = NamePattern("{vit.|}encoder.layer.{i}.output.dense.weight")
        let attn = NamePattern("{vit.|}encoder.layer.{i}.attention.output.dense.weight")
        #expect(mlp.match("vit.encoder.layer.0.attention.output.dense.weight") == nil)
        #expect(attn.match("vit.encoder.layer.0.output.dense.weight") == nil)
        #expect(mlp.match("encoder.layer.11.output.dense.weight")?.block == 11)
    }

    @Test("alternatives, including an empty one")
    func alternatives() {
        let p = NamePattern("{vit.|}embeddings.cls_token")
        #expect(p.match("vit.embeddings.cls_token") != nil)
        #expect(p.match("embeddings.cls_token") != nil)
        #expect(p.match("deit.embeddings.cls_token") == nil)
        let q = NamePattern("mlp.{0|linear_1}.bias")
        #expect(q.match("mlp.0.bias") != nil)
        #expect(q.match("mlp.linear_1.bias") != nil)
        #expect(q.match("mlp.1.bias") == nil)
    }

    @Test("a container prefix is whole components and never a numbered ModuleList position")
    func containerPrefix() {
        let p = NamePattern("{*.}patcher.weight")
        #expect(p.match("patcher.weight") != nil)
        #expect(p.match("embedding.patcher.weight") != nil)
        #expect(p.match("model.vit.embedding.patcher.weight") != nil)
        #expect(p.match("embedding_patcher.weight") == nil)
        #expect(p.match("blocks.0.patcher.weight") == nil)
        let norm = NamePattern("{*.}norm.weight")
        #expect(norm.match("transformer.norm.weight") != nil)
        #expect(norm.match("blocks.3.attn.norm.weight") == nil)
        let block = NamePattern("{*.}layers.{i}.linear1.weight")
        #expect(block.match("transformer_encoder.layers.12.linear1.weight")?.block == 12)
    }

    @Test("`{*}` takes any text, for Keras names joined with `_`")
    func anyText() {
        let p = NamePattern("{*}encoderblock_{i}_{*}Dense_0_kernel")
        #expect(p.match("Transformer_encoderblock_3_MlpBlock_3_Dense_0_kernel")?.block == 3)
        #expect(p.match("Transformer_encoderblock_12_Transformer_encoderblock_12_Dense_0_kernel")?.block == 12)
        #expect(p.match("Transformer_encoderblock_3_MlpBlock_3_Dense_1_kernel") == nil)
    }

    @Test("Keras match names drop `:0` and write `/` joins as `_`")
    func kerasMatchNames() {
        #expect(KerasNames.matchName("Transformer/encoderblock_0/LayerNorm_0/gamma:0") == "Transformer_encoderblock_0_LayerNorm_0_gamma")
        #expect(KerasNames.matchName("Transformer_encoderblock_0/LayerNorm_0/gamma") == "Transformer_encoderblock_0_LayerNorm_0_gamma")
        #expect(KerasNames.matchName("head/kernel:12") == "head_kernel")
        #expect(KerasNames.matchName("odd:name") == "odd:name")
    }

    @Test("Sequential entries are placed by position, so net.0/1/3 and net.0/1/4 name the same layers")
    func sequentialPositions() {
        let d = Dialect.einops
        func roles(_ last: Int) -> [String: String] {
            let names = ["blocks.0.ff.net.0.weight", "blocks.0.ff.net.1.weight", "blocks.0.ff.net.\(last).weight"]
            let a = d.assign(names.map { ($0, TensorInfo(name: $0, dtype: .f32, shape: [1])) })
            return Dictionary(uniqueKeysWithValues: a.bindings.map { ($0.value[0].info.name, $0.key.canonicalName) })
        }
        #expect(roles(3) == ["blocks.0.ff.net.0.weight": "blocks.0.norm2.weight", "blocks.0.ff.net.1.weight": "blocks.0.mlp.fc1.weight",
                             "blocks.0.ff.net.3.weight": "blocks.0.mlp.fc2.weight"])
        #expect(roles(4)["blocks.0.ff.net.4.weight"] == "blocks.0.mlp.fc2.weight")
    }

    @Test("a classifier Sequential: one Linear is the head; LayerNorm + Linear; LayerNorm + Linear + GELU + Linear")
    func headSequential() {
        func roles(_ names: [String]) -> [String] {
            let a = Dialect.torchMHA.assign(names.map { ($0, TensorInfo(name: $0, dtype: .f32, shape: [1])) })
            return a.bindings.keys.map(\.canonicalName).sorted()
        }
        #expect(roles(["mlp_head.0.weight"]) == ["head.weight"])
        #expect(roles(["mlp_head.0.weight", "mlp_head.1.weight"]) == ["fc_norm.weight", "head.weight"])
        #expect(roles(["head.0.weight", "head.1.weight", "head.3.weight"]) == ["fc_norm.weight", "head.weight", "pre_logits.fc.weight"])
        #expect(roles(["head.weight", "head.bias"]) == ["head.bias", "head.weight"])
    }
}
