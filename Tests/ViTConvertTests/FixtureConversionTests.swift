import Foundation
import Testing
import ViTTestSupport
import ViTConvert
import ViTFormats
import ViTMapping
import ViTModel
import ViTRuntime
import ViTNumpy
import ViTTensor

/// Every reference checkpoint (fixtures/conventions, written by the real libraries) converts to each
/// format and reads back, through the ordinary readers and the mapping with no options, as a timm
/// checkpoint with the embedded config equal to case.json's and every canonical tensor bit for bit.
@Suite("Converting every reference checkpoint")
struct FixtureConversionTests {
    static let arguments: [(String, OutputFormat)] = ConventionCase.names.flatMap { n in OutputFormat.allCases.map { (n, $0) } }

    @Test("the fixture folder holds the reference checkpoints")
    func casesPresent() {
        #expect(ConventionCase.names.count >= 16)
    }

    @Test("each reference checkpoint converts and reads back as timm with the same config and tensors",
          arguments: arguments)
    func roundTrip(_ name: String, _ format: OutputFormat) throws {
        let c = try ConventionCase(name)
        let original = try c.canonical()
        #expect(original.config == (try c.expectedConfig()))

        let dir = makeTempFolder()
        let out = "\(dir)/model.\(format.fileExtension)"
        let report = try Converter.convert(ConversionRequest(input: c.weights, output: out, mapping: c.mapping))
        #expect(report.format == format)
        #expect(report.tensorCount == original.order.count)
        #expect(report.config == (try c.expectedConfig()))
        #expect(folderEntries(dir) == ["model.\(format.fileExtension)"])

        let back = try CheckpointOpener.open(out)
        let planned = try ViTMapper.plan(back)  // no options: everything comes from the embedded config
        #expect(planned.report.convention == .timm)
        #expect(planned.report.configSource != nil)
        #expect(planned.config == (try c.expectedConfig()))
        #expect(Set(back.tensorNames) == Set(original.order))
        for entry in planned.plan.entries {
            #expect(entry.transform == .identity, "\(entry.canonicalName)")
            let t = try ViTMapper.materialize(entry, from: back)
            #expect(t == original.tensors[entry.canonicalName], "\(name) \(format) \(entry.canonicalName)")
        }

        let meta = back.metadata
        #expect(meta[OutputMetadata.conventionKey] == original.convention.rawValue)
        #expect(meta[OutputMetadata.sourceKey] == URL(fileURLWithPath: c.weights).lastPathComponent)
        #expect(meta[OutputMetadata.versionKey] == OutputMetadata.vitkitVersion)
        switch format {
        case .safetensors:
            #expect(meta["format"] == "pt")
            #expect(try ViTConfig.fromJSON(meta[OutputMetadata.configKey] ?? "") == (try c.expectedConfig()))
        case .hdf5:
            #expect(try ViTConfig.fromJSON(meta[OutputMetadata.configKey] ?? "") == (try c.expectedConfig()))
        case .bin:
            #expect(meta[OutputMetadata.configKey] == nil)
            #expect(try ViTConfig.fromJSON(back.configJSON ?? "") == (try c.expectedConfig()))
        }
    }

    @Test("torch.save checkpoints (.pth, plain and wrapped in {'model': {'module.' ...}}) convert, and the result runs to timm's logits",
          arguments: ["torch/plain.pth", "torch/wrapped.pth"])
    func torchSave(_ file: String) throws {
        struct Case: Decodable { let expected_config: ViTConfig }
        let folder = fixture("sources/tiny_vit")
        let expected = try JSONDecoder().decode(Case.self, from: Data(contentsOf: URL(fileURLWithPath: "\(folder)/case.json"))).expected_config
        let dir = makeTempFolder()
        for format in OutputFormat.allCases {
            let out = "\(dir)/m.\(format.fileExtension)"
            let report = try Converter.convert(ConversionRequest(input: fixture("sources/\(file)"), output: out,
                                                                 mapping: MappingOptions(heads: 2)))
            #expect(report.config == expected)
            let back = try ViTMapper.loadCanonical(try CheckpointOpener.open(out))
            #expect(back.config == expected)
            let vit = try VisionTransformer(config: back.config, tensors: back.tensors, threads: 1)
            let got = try vit.forward(try NpyFile(path: "\(folder)/input.npy").tensor).floats()
            let want = try NpyFile(path: "\(folder)/logits.npy").tensor.floats()
            #expect(relativeError(got, want) <= 1e-4, "\(file) → \(format)")
        }
    }

    @Test("safetensors outputs are laid out in the reference writer's order, HDF5 and .bin in canonical order")
    func tensorOrder() throws {
        let c = try ConventionCase("timm_plain")
        let original = try c.canonical()
        let dir = makeTempFolder()
        for format in OutputFormat.allCases {
            let out = "\(dir)/m.\(format.fileExtension)"
            _ = try Converter.convert(ConversionRequest(input: c.weights, output: out, mapping: c.mapping))
            let names = try CheckpointOpener.open(out).tensorNames
            switch format {
            case .safetensors: #expect(names == original.order.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            case .bin: #expect(names == original.order)
            case .hdf5: #expect(names == original.order.sorted())  // HDF5 lists members by name
            }
        }
    }

    @Test("converting the same input twice gives byte-identical files")
    func deterministic() throws {
        let c = try ConventionCase("torchvision")
        let dir = makeTempFolder()
        for format in [OutputFormat.bin, .safetensors] {
            let a = "\(dir)/a.\(format.fileExtension)", b = "\(dir)/b.\(format.fileExtension)"
            _ = try Converter.convert(ConversionRequest(input: c.weights, output: a, mapping: c.mapping))
            _ = try Converter.convert(ConversionRequest(input: c.weights, output: b, mapping: c.mapping))
            // The source name is the same ("model.safetensors"), so the bytes must be too.
            #expect(try Data(contentsOf: URL(fileURLWithPath: a)) == Data(contentsOf: URL(fileURLWithPath: b)))
        }
    }

    @Test("a converted file converts again to the same tensors (ViTKit reads its own outputs)")
    func chain() throws {
        let c = try ConventionCase("vit_pytorch_cls")
        let original = try c.canonical()
        let dir = makeTempFolder()
        _ = try Converter.convert(ConversionRequest(input: c.weights, output: "\(dir)/a.h5", mapping: c.mapping))
        _ = try Converter.convert(ConversionRequest(input: "\(dir)/a.h5", output: "\(dir)/b.bin"))
        _ = try Converter.convert(ConversionRequest(input: "\(dir)/b.bin", output: "\(dir)/c.safetensors"))
        let back = try ViTMapper.loadCanonical(try CheckpointOpener.open("\(dir)/c.safetensors"))
        #expect(back.config == original.config)
        #expect(back.tensors == original.tensors)
        #expect(back.convention == .timm)
    }
}
