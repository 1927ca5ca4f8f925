import Foundation
import Testing
import ViTConvert
import ViTFormats
import ViTMapping
import ViTModel
import ViTRuntime
import ViTNumpy
import ViTTensor
import ViTTestSupport

/// The model-family checkpoints (fixtures/families, written by transformers, open_clip, timm and a faithful copy of
/// the original DINOv2 by tools/fixtures_families.py) give the library's own output within 1e-4 relative: mapped
/// directly, after conversion to .bin and .safetensors, and at another grid with the library's run-time
/// position-embedding interpolation.
@Suite("Model families (DINOv2, CLIP, SigLIP, DeiT, MAE)")
struct FamilyTests {
    static let root = Fixtures.url("families")

    static let cases: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: root.appendingPathComponent("\($0)/case.json").path) }.sorted()
    }()

    struct Case: Decodable {
        struct Options: Decodable { let heads: Int?; let activation: String? }
        let convention: String
        let checkpoint: String
        let parameter_count: Int
        let options: Options
        let resized: [Int]
    }

    static func load(_ name: String) throws -> Case {
        try JSONDecoder().decode(Case.self, from: Data(contentsOf: root.appendingPathComponent("\(name)/case.json")))
    }

    static func options(_ c: Case) -> MappingOptions {
        var o = MappingOptions()
        o.heads = c.options.heads
        o.activation = c.options.activation.flatMap(ViTConfig.Activation.init(rawValue:))
        return o
    }

    static func path(_ name: String, _ c: Case) -> String { root.appendingPathComponent("\(name)/\(c.checkpoint)").path }

    static func array(_ name: String, _ file: String) throws -> Tensor {
        try NpyFile(path: root.appendingPathComponent("\(name)/\(file)").path).tensor
    }

    /// max|ours − ref| / max(1, max|ref|), as every parity test in ViTKit.
    static func relativeError(_ ours: [Float], _ ref: [Float]) -> Float {
        let diff = zip(ours, ref).map { abs($0 - $1) }.max() ?? .infinity
        return diff / max(1, ref.map(abs).max() ?? 0)
    }

    static func run(_ config: ViTConfig, _ tensors: [String: Tensor], _ input: Tensor) throws -> Tensor {
        try VisionTransformer(config: config, tensors: tensors, threads: 2).forward(input)
    }

    @Test("the fixture folder holds every family's cases")
    func casesPresent() throws {
        #expect(Self.cases.count >= 19)
        let conventions = Set(try Self.cases.map { try Self.load($0).convention })
        #expect(conventions == ["hf", "openai-clip", "dinov2", "timm", "big-vision"])
    }

    @Test("each family checkpoint gives the library's output and its parameter count", arguments: FamilyTests.cases)
    func direct(_ name: String) throws {
        let c = try Self.load(name)
        let ck = try ViTMapper.loadCanonical(try CheckpointOpener.open(Self.path(name, c)), options: Self.options(c))
        #expect(ck.convention.rawValue == c.convention)
        #expect(ck.config.parameterCount == c.parameter_count, "\(name)")
        let ref = try Self.array(name, "output.npy")
        let out = try Self.run(ck.config, ck.tensors, try Self.array(name, "input.npy"))
        #expect(out.shape == ref.shape)
        let err = Self.relativeError(out.floats(), ref.floats())
        #expect(err <= 1e-4, "\(name): relative error \(err)")
    }

    @Test("each family checkpoint gives the library's output after conversion to .bin and .safetensors",
          arguments: FamilyTests.cases.flatMap { n in ["bin", "safetensors"].map { (n, $0) } })
    func converted(_ name: String, _ ext: String) throws {
        let c = try Self.load(name)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vitkit-family-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("model.\(ext)").path
        _ = try Converter.convert(ConversionRequest(input: Self.path(name, c), output: out, mapping: Self.options(c)))
        let ck = try ViTMapper.loadCanonical(try CheckpointOpener.open(out))
        #expect(ck.config.parameterCount == c.parameter_count)
        let ref = try Self.array(name, "output.npy")
        let err = Self.relativeError(try Self.run(ck.config, ck.tensors, try Self.array(name, "input.npy")).floats(), ref.floats())
        #expect(err <= 1e-4, "\(name) → .\(ext): relative error \(err)")
        // The run-time interpolation rule travels with the converted file.
        for px in c.resized {
            let r = try ck.config.resized(to: [px, px], tensors: ck.tensors)
            let e = Self.relativeError(try Self.run(r.config, r.tensors, try Self.array(name, "input_\(px).npy")).floats(),
                                       try Self.array(name, "output_\(px).npy").floats())
            #expect(e <= 1e-4, "\(name) → .\(ext) at \(px) px: relative error \(e)")
        }
    }

    @Test("at another grid, each checkpoint interpolates its position embedding as its library does at run time",
          arguments: FamilyTests.cases.filter { ((try? FamilyTests.load($0))?.resized.isEmpty ?? true) == false })
    func resized(_ name: String) throws {
        let c = try Self.load(name)
        let ck = try ViTMapper.loadCanonical(try CheckpointOpener.open(Self.path(name, c)), options: Self.options(c))
        for px in c.resized {
            let r = try ck.config.resized(to: [px, px], tensors: ck.tensors)
            let ref = try Self.array(name, "output_\(px).npy")
            let err = Self.relativeError(try Self.run(r.config, r.tensors, try Self.array(name, "input_\(px).npy")).floats(), ref.floats())
            #expect(err <= 1e-4, "\(name) at \(px) px (\(r.config.posEmbedRule.rawValue)): relative error \(err)")
        }
    }

    @Test("each DINOv2 checkpoint records its library's rule, and another rule gives measurably different output")
    func rulesDiffer() throws {
        let expected: [String: ViTConfig.PosEmbedRule] = [
            "hf_dinov2": .bicubic, "hf_dinov2_registers": .bicubicAntialias, "dinov2_original": .dinov2Offset,
            "dinov2_original_registers": .bicubicAntialias, "timm_dinov2_reg4": .bicubicAntialias,
        ]
        for (name, rule) in expected {
            let c = try Self.load(name)
            let ck = try ViTMapper.loadCanonical(try CheckpointOpener.open(Self.path(name, c)), options: Self.options(c))
            #expect(ck.config.posEmbedRule == rule, "\(name)")
            let ref = try Self.array(name, "output_24.npy").floats()
            let input = try Self.array(name, "input_24.npy")
            for other in ViTConfig.PosEmbedRule.allCases where other != rule {
                let r = try ck.config.resized(to: [24, 24], tensors: ck.tensors, rule: other)
                #expect(Self.relativeError(try Self.run(r.config, r.tensors, input).floats(), ref) > 1e-4, "\(name) with \(other)")
            }
        }
    }
}
