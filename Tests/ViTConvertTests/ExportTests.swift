import Foundation
import Testing
import ViTConvert
import ViTFormats
import ViTMapping
import ViTModel
import ViTNumpy
import ViTSafetensors
import ViTTensor
import ViTTorch
import ViTZip

/// `vit-convert --to timm|hf|torchvision`: every fixture either is refused by the capability table or exports to
/// exactly the tensor names and shapes the library itself wrote for it (fixtures/export/*.json, made by
/// tools/check_export.py, which also loaded each export in the library and matched the reference output within
/// 1e-4 relative), with config keys the library's config accepts.
@Suite("Export to timm, transformers and torchvision")
struct ExportTests {
    static let layouts: [ExportLayout] = [.timm, .hf, .torchvision]
    static let pairs: [(ExportSource, ExportLayout)] = ExportSource.all.flatMap { s in layouts.map { (s, $0) } }

    func export(_ s: ExportSource, _ layout: ExportLayout, to out: String, force: Bool = false) throws -> ExportReport {
        try Exporter.export(ExportRequest(input: s.checkpoint, output: out, layout: layout, mapping: s.options, overwrite: force))
    }

    static func outputPath(_ folder: String, _ layout: ExportLayout) -> String {
        layout == .torchvision ? "\(folder)/model.pth" : "\(folder)/out"
    }

    @Test("each export matches the library's manifest: refused, or the same tensor names, shapes and config keys",
          arguments: ExportTests.pairs)
    func matchesManifest(_ s: ExportSource, _ layout: ExportLayout) throws {
        let manifest = try ExportManifest.load(layout)
        let entry = try #require(manifest.cases[s.name], "fixtures/export/\(layout.rawValue).json has no \(s.name)")
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let out = Self.outputPath(tmp, layout)
        if entry.status == "refused" {
            #expect(throws: ExportError.self) { _ = try export(s, layout, to: out) }
            #expect(folderEntries(tmp).isEmpty, "a refused export leaves nothing behind")
            return
        }
        #expect(entry.status == "ok", "\(s.name) \(layout): the library check recorded \(entry.status)")
        let report = try export(s, layout, to: out)
        #expect(report.target == entry.target)
        let written: [String: [Int]]
        switch layout {
        case .torchvision:
            let ck = try TorchCheckpoint(path: out)
            written = Dictionary(uniqueKeysWithValues: ck.tensorInfos.map { ($0.name, $0.shape) })
            #expect(ck.tensorInfos.map(\.name) == (entry.keys ?? []).compactMap { if case let .name(n) = $0.first { n } else { nil } },
                    "torchvision state-dict order")
        default:
            let st = try SafetensorsFile(path: out + "/model.safetensors")
            written = Dictionary(uniqueKeysWithValues: st.tensorInfos.map { ($0.name, $0.shape) })
        }
        #expect(written == entry.shapes, "\(s.name) \(layout): tensor names and shapes differ from what the library writes")
        switch layout {
        case .timm:
            #expect(try jsonKeys(out + "/config.json").isSubset(of: entry.schemaNames("config")))
            #expect(try jsonKeys(out + "/config.json", path: ["model_args"]).isSubset(of: entry.schemaNames("model_args")))
            #expect(try jsonKeys(out + "/config.json", path: ["pretrained_cfg"]).isSubset(of: entry.schemaNames("pretrained_cfg")))
        case .hf:
            let extra = try jsonKeys(out + "/config.json").subtracting(entry.schemaNames("config"))
            #expect(extra.isEmpty, "config.json keys transformers' config does not have: \(extra.sorted())")
            let pre = try jsonKeys(out + "/preprocessor_config.json").subtracting(entry.schemaNames("preprocessor"))
            #expect(pre.isEmpty, "preprocessor_config.json keys the image processor does not have: \(pre.sorted())")
        default:
            break
        }
    }

    @Test("exporting then reading back gives the same canonical tensors bit for bit",
          arguments: [("timm_plain", ExportLayout.timm), ("timm_registers", .timm), ("hf_vit_classification", .hf),
                      ("hf_dinov2_registers", .hf), ("hf_siglip_vision", .hf), ("torchvision", .torchvision),
                      ("timm_plain", .torchvision)])
    func readBack(_ name: String, _ layout: ExportLayout) throws {
        let s = try #require(ExportSource.named(name))
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let out = Self.outputPath(tmp, layout)
        _ = try export(s, layout, to: out)
        let original = try ViTMapper.loadCanonical(try CheckpointOpener.open(s.checkpoint), options: s.options)
        var o = MappingOptions()
        o.heads = original.config.numHeads
        o.layerNormEps = original.config.layerNormEps
        let back = try ViTMapper.loadCanonical(try CheckpointOpener.open(layout == .torchvision ? out : out + "/model.safetensors"), options: o)
        for (k, t) in original.tensors {
            let b = try #require(back.tensors[k], "\(k) missing after the round trip")
            #expect(b.shape == t.shape && b.bytes == t.bytes, "\(name) \(layout): \(k) differs")
        }
    }

    @Test("a model the layout cannot hold is refused, naming the feature and the layouts that hold it")
    func refusal() throws {
        let s = try #require(ExportSource.named("timm_registers"))
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        do {
            _ = try export(s, .torchvision, to: "\(tmp)/m.pth")
            Issue.record("exported registers to torchvision")
        } catch let e as ExportError {
            guard case let .cannotExpress(layout, feature, _, holders) = e else { Issue.record("\(e)"); return }
            #expect(layout == .torchvision && feature == "register tokens" && holders == [.timm, .hf, .onnx])
            #expect(e.description.contains("layouts that hold it: timm, hf, onnx"))
        }
        let avg = try #require(ExportSource.named("timm_avg_fc_norm"))
        #expect(throws: ExportError.cannotExpress(layout: .hf, feature: ModelFeature.meanPooling.title,
                                                  reason: CapabilityTable.support(.meanPooling, in: .hf).note, holders: [.timm, .onnx])) {
            _ = try export(avg, .hf, to: "\(tmp)/hf")
        }
        #expect(folderEntries(tmp).isEmpty)
    }

    @Test("an existing output is kept unless --force; a wrong output name is refused before reading")
    func overwriteAndNames() throws {
        let s = try #require(ExportSource.named("timm_plain"))
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try FileManager.default.createDirectory(atPath: "\(tmp)/out", withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: "\(tmp)/out/keep.txt"))
        #expect(throws: ConvertError.outputExists(path: "\(tmp)/out")) { _ = try export(s, .timm, to: "\(tmp)/out") }
        #expect(folderEntries("\(tmp)/out") == ["keep.txt"])
        _ = try export(s, .timm, to: "\(tmp)/out", force: true)
        #expect(folderEntries("\(tmp)/out") == ["config.json", "model.safetensors"])
        #expect(folderEntries(tmp) == ["out"], "no temporary folder is left")
        #expect(throws: ConvertError.unsupportedExportExtension(path: "\(tmp)/m.bin", layout: .torchvision,
                                                                expected: ".pth, .pt or .safetensors")) {
            _ = try export(s, .torchvision, to: "\(tmp)/m.bin")
        }
        #expect(throws: ConvertError.unsupportedExportExtension(path: "\(tmp)/m.safetensors", layout: .hf, expected: "a folder name")) {
            _ = try export(s, .hf, to: "\(tmp)/m.safetensors")
        }
    }

    @Test("a cancelled export (Ctrl-C) writes nothing and leaves no temporary file or folder", arguments: ExportLayout.allCases)
    func cancelled(_ layout: ExportLayout) throws {
        let s = try #require(ExportSource.named("timm_plain"))
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let c = Cancellation()
        c.cancel()
        let out = layout == .onnx ? "\(tmp)/m.onnx" : Self.outputPath(tmp, layout)
        #expect(throws: ConvertError.cancelled(output: out)) {
            _ = try Exporter.export(ExportRequest(input: s.checkpoint, output: out, layout: layout, mapping: s.options, cancellation: c))
        }
        #expect(folderEntries(tmp).isEmpty)
    }

    @Test("--dtype converts every exported tensor; without it the stored dtype is kept")
    func dtypes() throws {
        let s = try #require(ExportSource.named("timm_f16"))
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        _ = try export(s, .hf, to: "\(tmp)/keep")
        #expect(Set(try SafetensorsFile(path: "\(tmp)/keep/model.safetensors").tensorInfos.map(\.dtype)) == [.f16])
        _ = try Exporter.export(ExportRequest(input: s.checkpoint, output: "\(tmp)/f32", layout: .hf, mapping: s.options, dtype: .f32))
        #expect(Set(try SafetensorsFile(path: "\(tmp)/f32/model.safetensors").tensorInfos.map(\.dtype)) == [.f32])
    }

    @Test("the torch.save writer: stored members at 64-byte offsets, data.pkl first, tensors read back unchanged")
    func torchSaveArchive() throws {
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let big = try Tensor(shape: [70_000], float32: (0..<70_000).map { Float($0) * 0.5 })
        let tensors: [(String, Tensor)] = [("a.weight", try Tensor(shape: [2, 3], float32: [1, 2, 3, 4, 5, 6])),
                                           ("b", try Tensor(shape: [], float32: [7])),
                                           ("c.half", try Tensor(shape: [3], float32: [1, -2, 0.5]).converted(to: .f16)),
                                           ("big", big)]
        try TorchSaveWriter.write(stateDict: tensors, to: "\(tmp)/t.pth", overwrite: false)
        let ck = try TorchCheckpoint(path: "\(tmp)/t.pth")
        #expect(ck.tensorInfos.map(\.name) == ["a.weight", "b", "c.half", "big"])
        for (n, t) in tensors {
            let r = try ck.tensor(named: n)
            #expect(r.dtype == t.dtype && r.shape == t.shape && r.bytes == t.bytes, "\(n)")
        }
        let zip = ck.archive
        #expect(zip.entries.first?.name == "archive/data.pkl")
        #expect(zip.entries.map(\.name).contains("archive/version"))
        for e in zip.entries {
            #expect(e.method == .stored)
            #expect(try zip.dataOffset(of: e) % 64 == 0, "\(e.name) is not 64-byte aligned")
        }
        #expect(throws: AtomicFileError.outputExists(path: "\(tmp)/t.pth")) {
            try TorchSaveWriter.write(stateDict: tensors, to: "\(tmp)/t.pth", overwrite: false)
        }
    }

    @Test("the capability table lists every feature for every layout; ONNX holds them all")
    func table() {
        let text = CapabilityTable.text()
        for f in ModelFeature.allCases { #expect(text.contains(f.rawValue)) }
        for f in ModelFeature.allCases { #expect(CapabilityTable.support(f, in: .onnx).isHeld) }
        #expect(!CapabilityTable.support(.registers, in: .torchvision).isHeld)
        #expect(CapabilityTable.holders(of: .meanPooling) == [.timm, .onnx])
    }
}
