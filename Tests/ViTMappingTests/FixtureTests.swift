import Foundation
import Testing
import ViTFormats
import ViTModel
import ViTNumpy
import ViTTensor
@testable import ViTMapping

/// The committed reference checkpoints (fixtures/conventions, made by tools/fixtures_conventions*.py with the
/// real libraries): each must map with the config its case.json expects, and every tensor must materialise.
@Suite("Reference checkpoints of every convention")
struct FixtureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures/conventions")

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

    /// Opens the case's checkpoint as a user would: the weights file, plus config.json when it ships one.
    static func open(_ name: String, _ c: Case) throws -> TensorSource {
        let dir = root.appendingPathComponent(name)
        guard let weights = c.checkpoint.files.first(where: { !$0.hasSuffix(".json") }) else { throw CocoaError(.fileNoSuchFile) }
        let source = try CheckpointOpener.open(dir.appendingPathComponent(weights).path)
        if let json = c.checkpoint.files.first(where: { $0.hasSuffix("config.json") }) {
            return WithConfig(source, configJSON: try String(contentsOf: dir.appendingPathComponent(json), encoding: .utf8))
        }
        return source
    }

    @Test("the fixture folder holds every convention's cases")
    func casesPresent() throws {
        #expect(Self.cases.count >= 16)
        let seen = Set(try Self.cases.map { try Self.load($0).convention })
        #expect(seen == Set(Self.conventions.keys))
    }

    @Test("each reference checkpoint maps with its expected config and every tensor materialises",
          arguments: FixtureTests.cases.filter { !$0.hasPrefix("keras") })
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
}

/// A source with a config.json beside it (a Hugging Face folder opened through its weights file).
final class WithConfig: TensorSource, @unchecked Sendable {
    let base: TensorSource
    let configJSON: String?
    init(_ base: TensorSource, configJSON: String) {
        self.base = base
        self.configJSON = configJSON
    }
    var path: String { base.path }
    var formatName: String { base.formatName }
    var tensorInfos: [TensorInfo] { base.tensorInfos }
    var metadata: [String: String] { base.metadata }
    func tensor(named name: String) throws -> Tensor { try base.tensor(named: name) }
}
