import Foundation
import Testing
import ViTFormats
import ViTHDF5
import ViTModel
import ViTRuntime
import ViTNumpy
import ViTTensor
@testable import ViTMapping
import ViTTestSupport

/// The committed reference checkpoints (fixtures/conventions, made by tools/fixtures_conventions*.py with the
/// real libraries): each must map with the config its case.json expects, and every tensor must materialise.
@Suite("Reference checkpoints of every convention")
struct FixtureTests {
    static let root = Fixtures.url("conventions")

    /// The case folders (every folder with a case.json).
    static let cases: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: root.appendingPathComponent("\($0)/case.json").path) }.sorted()
    }()

    /// case.json, the parts the tests use.
    struct Case: Decodable {
        struct Checkpoint: Decodable { let files: [String] }
        struct Facts: Decodable {
            let num_heads: Int
            let heads_recoverable_from_metadata: Bool
        }
        let convention: String
        let checkpoint: Checkpoint
        let facts: Facts
        let expected_config: ViTConfig
    }

    static func load(_ name: String) throws -> Case {
        try JSONDecoder().decode(Case.self, from: Data(contentsOf: root.appendingPathComponent("\(name)/case.json")))
    }

    /// What a user would pass on the command line for facts the file does not record.
    static func options(_ name: String, _ c: Case) -> MappingOptions {
        var o = MappingOptions()
        if !c.facts.heads_recoverable_from_metadata { o.heads = c.facts.num_heads }
        // No metadata records the image size of these: a non-square grid has to be given.
        let image = c.expected_config.imageSize
        if image[0] != image[1] && !c.checkpoint.files.contains(where: { $0.hasSuffix("config.json") }) { o.imageSize = image }
        // The tutorial model sets layer_norm_eps=1e-6 on its encoder layers; PyTorch's default is 1e-5.
        if name == "handwritten_mha" { o.layerNormEps = 1e-6 }
        return o
    }

    static let conventions: [String: Convention] = [
        "timm": .timm, "torchvision": .torchvision, "huggingface": .hf, "vit-pytorch": .vitPytorch,
        "handwritten-mha": .torchMHA, "handwritten-einops": .einops, "keras-legacy-h5": .kerasLegacy, "keras3-weights-h5": .keras3,
    ]

    /// Opens the case's checkpoint as a user would: the weights file (or, for a `save_pretrained` folder,
    /// the folder, whose config.json the reader picks up).
    static func open(_ name: String, _ c: Case) throws -> TensorSource {
        let dir = root.appendingPathComponent(name)
        guard let weights = c.checkpoint.files.first(where: { !$0.hasSuffix(".json") }) else { throw CocoaError(.fileNoSuchFile) }
        let path = dir.appendingPathComponent(weights)
        return try CheckpointOpener.open(weights.contains("/") ? path.deletingLastPathComponent().path : path.path)
    }

    @Test("the fixture folder holds every convention's cases")
    func casesPresent() throws {
        #expect(Self.cases.count >= 16)
        let seen = Set(try Self.cases.map { try Self.load($0).convention })
        #expect(seen == Set(Self.conventions.keys))
    }

    @Test("each reference checkpoint maps with its expected config and every tensor materialises",
          arguments: FixtureTests.cases)
    func maps(_ name: String) throws {
        let c = try Self.load(name)
        let source = try Self.open(name, c)
        let r = try ViTMapper.plan(source, options: Self.options(name, c))
        #expect(r.report.convention == Self.conventions[c.convention])
        #expect(r.config == c.expected_config)
        #expect(r.plan.unused.isEmpty)
        for e in r.plan.entries {
            let t = try ViTMapper.materialize(e, from: source)
            #expect(t.shape == e.shape && t.dtype == e.dtype, "\(e.canonicalName)")
        }
    }

    /// max|ours − ref| / max(1, max|ref|): the relative error every parity test in ViTKit uses.
    static func relativeError(_ ours: [Float], _ ref: [Float]) -> Float {
        let diff = zip(ours, ref).map { abs($0 - $1) }.max() ?? .infinity
        return diff / max(1, ref.map(abs).max() ?? 0)
    }

    @Test("each reference checkpoint, mapped and run by the Swift forward pass, gives the library's logits (relative error ≤ 1e-4)",
          arguments: FixtureTests.cases)
    func logits(_ name: String) throws {
        let c = try Self.load(name)
        let checkpoint = try ViTMapper.loadCanonical(try Self.open(name, c), options: Self.options(name, c))
        let model = try VisionTransformer(config: checkpoint.config, tensors: checkpoint.tensors, threads: 1)
        let dir = Self.root.appendingPathComponent(name)
        let input = try NpyFile(path: dir.appendingPathComponent("input.npy").path).tensor
        let ref = try NpyFile(path: dir.appendingPathComponent("logits.npy").path).tensor
        let out = try model.forward(input)
        #expect(out.shape == ref.shape)
        let err = Self.relativeError(out.floats(), ref.floats())
        #expect(err <= 1e-4, "\(name): relative error \(err)")
    }
}

@Suite("Keras names from HDF5 attributes")
struct KerasNamesTests {
    func names(_ file: String) throws -> KerasNames? {
        try HDF5File(path: FixtureTests.root.appendingPathComponent(file).path).kerasNames()
    }

    @Test("Keras 3 .weights.h5: each vars/<n> dataset is named by its layers' `name` attributes and the index")
    func keras3() throws {
        let k = try #require(try names("keras3_weights_h5/model.weights.h5"))
        #expect(k.layout == .keras3)
        #expect(k.weights.count == 40)
        let byTensor = Dictionary(uniqueKeysWithValues: k.weights.map { ($0.tensor, $0.name) })
        #expect(byTensor["layers.transformer_block_1.attention.query.vars.0"] == "Transformer_encoderblock_1/MultiHeadDotProductAttention_1/query/0")
        #expect(byTensor["layers.transformer_block.mlpblock.dense_1.vars.1"] == "Transformer_encoderblock_0/MlpBlock_3/Dense_1/1")
        #expect(byTensor["layers.conv2d.vars.0"] == "embedding/0")
        #expect(byTensor["layers.add_position_embs.vars.0"] == "Transformer_posembed_input/0")
    }

    @Test("legacy .h5: weights in layer_names / weight_names order, named by their weight names")
    func legacy() throws {
        let k = try #require(try names("keras_legacy_h5/model.h5"))
        #expect(k.layout == .legacy)
        #expect(k.weights.count == 40)
        #expect(k.weights.prefix(4).map(\.name) == ["embedding/kernel:0", "embedding/bias:0", "class_token/cls:0",
                                                     "Transformer/posembed_input/pos_embedding:0"])
        #expect(k.weights[4] == KerasNames.Weight(tensor: "Transformer.encoderblock_0.Transformer.encoderblock_0.LayerNorm_0.gamma:0",
                                                   name: "Transformer/encoderblock_0/LayerNorm_0/gamma:0"))
        #expect(k.weights.last?.name == "head/bias:0")
    }

    @Test("sources that are not Keras HDF5 files have no Keras names; a canonical HDF5 file maps as timm")
    func notKeras() throws {
        #expect(try CheckpointOpener.open(FixtureTests.root.appendingPathComponent("timm_plain/model.safetensors").path).kerasNames() == nil)
        let c = ViTConfig(imageSize: [8, 8], patchSize: [4, 4], embedDim: 16, depth: 2, numHeads: 2, numClasses: 3)
        let m = Synthetic(c)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vitkit-mapping-\(UInt32.random(in: 0...UInt32.max)).h5").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try HDF5Writer.write(m.order.map { ($0, try m.v($0).tensor()) }, attributes: ["vitkit_config": c.jsonString()], to: path)
        let file = try HDF5File(path: path)
        #expect(try file.kerasNames() == nil)
        let loaded = try ViTMapper.loadCanonical(file)
        #expect(loaded.config == c)
        #expect(loaded.report.configSource == "__metadata__.vitkit_config")
        for n in m.order { #expect(loaded.tensors[n] == (try m.v(n).tensor()), "\(n)") }
    }
}
