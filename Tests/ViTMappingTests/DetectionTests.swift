import Testing
import ViTModel
import ViTTensor
@testable import ViTMapping

@Suite("Convention detection")
struct DetectionTests {
    static func model(depth: Int, d: Int = 24) -> Synthetic {
        Synthetic(ViTConfig(imageSize: [12, 12], patchSize: [4, 4], embedDim: d, depth: depth, numHeads: 2,
                            preLogitsDim: d, numClasses: 3))
    }

    static func allStored(_ m: Synthetic) -> [(Convention, Synthetic.Stored)] {
        var vp = m.config
        vp.patchNormPre = true
        vp.patchNormPost = true
        vp.qkvBias = false
        vp.preLogitsDim = nil
        let mv = Synthetic(vp)
        var e = m.config
        e.qkvBias = false
        e.preLogitsDim = nil
        e.finalNorm = false
        e.fcNorm = true
        let me = Synthetic(e)
        var h = m.config
        h.finalNorm = false
        h.fcNorm = true
        let mh = Synthetic(h)
        var hf = m.config
        hf.preLogitsDim = nil
        let mhf = Synthetic(hf)
        return [(.timm, m.timm()), (.torchvision, m.torchvision()), (.hf, mhf.huggingFace()), (.hf, mhf.huggingFace(prefix: "")),
                (.vitPytorch, mv.vitPytorch()), (.torchMHA, mh.torchMHA()), (.einops, me.einops()),
                (.kerasLegacy, m.kerasLegacy()), (.kerasLegacy, m.kerasLegacy(perHeadKernels: true, keras3Joins: true)),
                (.keras3, m.keras3())]
    }

    @Test("every convention is detected from its names, at depth 1 and 13", arguments: [1, 13])
    func detectsEveryConvention(depth: Int) throws {
        for (convention, stored) in Self.allStored(Self.model(depth: depth)) {
            #expect(try ViTMapper.detect(stored.infos, context: stored.context()) == convention, "\(convention)")
        }
    }

    @Test("no name in any test checkpoint matches two rows of one table")
    func tablesAreUnambiguous() {
        for (_, stored) in Self.allStored(Self.model(depth: 11)) {
            for d in Dialect.all {
                let names = ViTMapper.matchEntries(d, stored.infos, stored.context())?.0.map(\.0) ?? []
                for n in names {
                    let hits = d.rules.filter { $0.pattern.match(n) != nil }.map(\.pattern.text)
                    #expect(hits.count <= 1, "\(d.name): \(n) matches \(hits)")
                }
            }
        }
    }

    @Test("names no table knows give the closest candidates, best first")
    func unknown() {
        let infos = ["encoder.weight", "decoder.weight", "cls_token"].map { TensorInfo(name: $0, dtype: .f32, shape: [2]) }
        do {
            _ = try ViTMapper.detect(infos, context: SourceContext(file: "odd.safetensors"))
            Issue.record("expected an error")
        } catch let MappingError.unknownConvention(file, candidates) {
            #expect(file == "odd.safetensors")
            #expect(candidates.count == 3)
            #expect(candidates.first?.matched == 1)
            #expect(candidates.allSatisfy { !$0.missingAnchors.isEmpty })
            #expect(candidates.map(\.matched) == candidates.map(\.matched).sorted(by: >))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test("a forced convention that does not fit says so and names the detected one")
    func forcedMismatch() throws {
        let stored = Self.model(depth: 2).timm()
        do {
            _ = try ViTMapper.plan(stored.infos, context: stored.context(), options: MappingOptions(convention: .hf))
            Issue.record("expected an error")
        } catch let MappingError.conventionMismatch(file, forced, candidate, detected) {
            #expect(file == "test.ckpt")
            #expect(forced == .hf)
            #expect(detected == .timm)
            #expect(candidate.missingAnchors == ["patch_embed.proj.weight", "pos_embed", "blocks.*.attn.qkv.weight"])
        }
        #expect(throws: MappingError.missingKerasStructure(file: "test.ckpt", convention: .keras3)) {
            try ViTMapper.plan(stored.infos, context: stored.context(), options: MappingOptions(convention: .keras3))
        }
        // Forcing the right one works and says it was forced.
        let r = try ViTMapper.plan(stored.infos, context: stored.context(), options: MappingOptions(convention: .timm, heads: 2))
        #expect(r.report.detected == false)
    }

    @Test("a DataParallel `module.` prefix on every name is ignored and reported")
    func dataParallel() throws {
        let m = Self.model(depth: 2)
        var stored = m.torchvision()
        stored.entries = stored.entries.map { ("module." + $0.0, $0.1) }
        let r = try ViTMapper.plan(stored.infos, context: stored.context(), options: MappingOptions(heads: 2))
        #expect(r.report.convention == .torchvision)
        #expect(r.plan.entry(named: "cls_token")?.sources == ["module.class_token"])
        #expect(r.report.notes.contains { $0.contains("'module.'") })
    }

    @Test("torchvision layer 10 follows layer 9: blocks are ordered by number, not text")
    func numericOrder() throws {
        let m = Self.model(depth: 13)
        let r = try ViTMapper.plan(m.torchvision().infos, context: m.torchvision().context(), options: MappingOptions(heads: 2))
        let names = r.plan.entries.map(\.canonicalName).filter { $0.hasSuffix("norm1.weight") }
        #expect(names == (0..<13).map { "blocks.\($0).norm1.weight" })
        #expect(r.plan.entry(named: "blocks.10.norm1.weight")?.sources == ["encoder.layers.encoder_layer_10.ln_1.weight"])
        #expect(r.config.depth == 13)
    }
}
