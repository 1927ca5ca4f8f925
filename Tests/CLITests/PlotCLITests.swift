import Foundation
import Testing

/// One array of a --plot-data JSON file.
private func array(_ path: String, _ name: String) throws -> [Double] {
    let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
    let arrays = obj?["arrays"] as? [String: Any]
    let a = arrays?[name] as? [String: Any]
    return try #require(a?["values"] as? [Double], "\(path): no array \(name)")
}

private func isPNG(_ path: String) -> Bool {
    guard let d = FileManager.default.contents(atPath: path), d.count > 1000 else { return false }
    return Array(d.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
}

/// The figures' numbers (--plot-data) against NumPy from the same weights and timm's own attention
/// (fixtures/images/plots/timm_vit.json, tools/fixtures_plots.py). Tolerances: weights-only figures 1e-4 absolute;
/// attention-derived ones 1e-3 relative to the largest value (float32 forward vs PyTorch).
@Suite struct PlotCLITests {
    let truth: [String: Any]
    let model = fixture("images/models/timm_vit")

    init() throws {
        truth = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture("images/plots/timm_vit.json")))) as? [String: Any] ?? [:]
    }

    private func expected(_ key: String) throws -> [Double] {
        if let v = truth[key] as? [Double] { return v }
        let nested = try #require(truth[key] as? [[Double]], "truth has no \(key)")
        return nested.flatMap { $0 }
    }

    private func expectClose(_ a: [Double], _ b: [Double], relative: Bool, tolerance: Double, _ what: String) {
        #expect(a.count == b.count, "\(what): \(a.count) values, expected \(b.count)")
        let scale = relative ? max(1e-12, b.map(abs).max() ?? 1) : 1
        let err = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
        #expect(err / scale <= tolerance, "\(what): max error \(err / scale)")
    }

    @Test func positionEmbeddingSimilarity() throws {
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let r = try runTool("vit-summary", [model, "--plot", "pos-embed", tmp + "/pos.png", "--plot-data", tmp + "/pos.json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(isPNG(tmp + "/pos.png"))
        expectClose(try array(tmp + "/pos.json", "similarity"), try expected("pos_similarity"), relative: false, tolerance: 1e-4, "similarity")
        let npy = try runTool("vit-summary", [model, "--plot", "pos-embed", tmp + "/p2.png", "--plot-data", tmp + "/pos.npy"])
        #expect(npy.status == 0 && FileManager.default.fileExists(atPath: tmp + "/pos.npy"))
    }

    @Test func patchFilterComponents() throws {
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let r = try runTool("vit-summary", [model, "--plot", "patch-filters", tmp + "/f.png", "--plot-data", tmp + "/f.json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(isPNG(tmp + "/f.png"))
        let want = try expected("components")
        let got = Array(try array(tmp + "/f.json", "components").prefix(want.count))
        expectClose(got, want, relative: false, tolerance: 1e-4, "components")
    }

    @Test func attentionRolloutAndClassAttention() throws {
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let r = try runTool("vit-run", [model, "--input", fixture("images/models/timm_vit/input.npy"), "--attention", tmp + "/a.png",
                                        "--plot-data", tmp + "/a.json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(isPNG(tmp + "/a.png") && r.stderr.contains("first image"))
        expectClose(try array(tmp + "/a.json", "rollout"), try expected("rollout"), relative: true, tolerance: 1e-3, "rollout")
        expectClose(try array(tmp + "/a.json", "last_block_class_attention"), try expected("last_block_class_attention"),
                    relative: true, tolerance: 1e-3, "class attention")
    }

    @Test func meanAttentionDistance() throws {
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let r = try runTool("vit-run", [model, "--input", fixture("images/models/timm_vit/input.npy"), "--plot", "attention-distance",
                                        tmp + "/d.png", "--plot-data", tmp + "/d.json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(isPNG(tmp + "/d.png"))
        expectClose(try array(tmp + "/d.json", "mean_distance_pixels"), try expected("mean_distance"), relative: true, tolerance: 1e-3, "distance")
    }

    @Test func figuresThatCannotBeDrawnSayWhy() throws {
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let noClass = fixture("model/no_class_token_avg")
        let r = try runTool("vit-run", [noClass, "--input", fixture("model/no_class_token_avg/input.npy"), "--attention", tmp + "/a.png"])
        #expect(r.status != 0 && r.stderr.contains("no class token") && !FileManager.default.fileExists(atPath: tmp + "/a.png"), "\(r.stderr)")
        let bad = try runTool("vit-summary", [model, "--plot", "attention", tmp + "/x.png"])
        #expect(bad.status != 0 && bad.stderr.contains("pos-embed or patch-filters"))
        let ext = try runTool("vit-summary", [model, "--plot", "pos-embed", tmp + "/x.png", "--plot-data", tmp + "/x.csv"])
        #expect(ext.status != 0 && ext.stderr.contains(".json or .npy"))
        #expect(entriesIn(tmp).allSatisfy { !$0.contains(".tmp-") })
    }
}

/// cairo is opened only when a figure is drawn (CCairo's dlopen): without it a figure fails with a message naming
/// the output and the package to install, writes nothing, and every command that draws no figure still runs.
@Suite struct PlotWithoutCairoTests {
    let model = fixture("images/models/timm_vit")

    /// The tool with `VITKIT_CAIRO` naming a library that does not exist (through env(1): the variable must
    /// not leak into the other tests' processes).
    private func withoutCairo(_ tool: String, _ args: [String]) throws -> ToolResult {
        try runExecutable(URL(fileURLWithPath: "/usr/bin/env"),
                          ["VITKIT_CAIRO=/nonexistent/libcairo.so.2", productsFolder.appendingPathComponent(tool).path] + args)
    }

    @Test func figureFailsCleanlyWithoutCairo() throws {
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let r = try withoutCairo("vit-summary", [model, "--plot", "pos-embed", tmp + "/pos.png", "--plot-data", tmp + "/pos.json"])
        #expect(r.status != 0)
        #expect(r.stderr.contains(tmp + "/pos.png") && r.stderr.contains("cannot load cairo (/nonexistent/libcairo.so.2)"),
                "\(r.stderr)")
        #expect(r.stderr.contains("apt install libcairo2"))
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Backtrace"))
        #expect(entriesIn(tmp).isEmpty, "left \(entriesIn(tmp))")
        let plain = try withoutCairo("vit-summary", [model])
        #expect(plain.status == 0 && plain.stdout.contains("VisionTransformer"), "\(plain.stderr)")
    }
}

private func entriesIn(_ path: String) -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] }
