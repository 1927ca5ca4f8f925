import Foundation
import Testing
import ViTFormats
import ViTSafetensors
import ViTTensor
import ViTTestSupport

// Runs the built `vit-summary` (the test target depends on it, so `swift test` builds it first) and
// checks stdout, stderr and the exit status.

/// The built binary, in the products folder beside the test runner (Support/RunTool.swift).
let summaryBinary = productsFolder.appendingPathComponent("vit-summary").path

struct Run {
    let stdout: String
    let stderr: String
    let status: Int32

    /// stdout parsed as one JSON object.
    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
    }
}

/// Runs `vit-summary args`, capturing both streams through temporary files (no pipe deadlock however
/// much either stream holds: `--stats` can warn for every tensor).
func runSummary(_ args: [String]) throws -> Run {
    let dir = NSTemporaryDirectory() + "vitkit-summary-run-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let out = dir + "/out", err = dir + "/err"
    try Data().write(to: URL(fileURLWithPath: out))
    try Data().write(to: URL(fileURLWithPath: err))
    let p = Process()
    p.executableURL = URL(fileURLWithPath: summaryBinary)
    p.arguments = args
    p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
    p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
    try p.run()
    p.waitUntilExit()
    let text = { (path: String) in String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
    return Run(stdout: text(out), stderr: text(err), status: p.terminationStatus)
}

/// A fresh temporary folder.
func scratchFolder() throws -> String {
    let d = NSTemporaryDirectory() + "vitkit-summary-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// What case.json of a convention fixture says (ViTTestSupport reads it), its fields read with
/// JSONSerialization (independent of ViTKit).
extension ConventionCase {
    var object: [String: Any] { ((try? JSONSerialization.jsonObject(with: json)) as? [String: Any]) ?? [:] }
    var facts: [String: Any] { object["facts"] as? [String: Any] ?? [:] }
    var expectedConfig: [String: Any] { object["expected_config"] as? [String: Any] ?? [:] }

    /// The flags the file itself cannot supply: heads when nothing records them, the image size when the
    /// grid is not square, the encoder's eps when the model's norms use more than one (all from case.json).
    var mappingFlags: [String] { options.flags }

    /// Sum of the elements of every stored tensor, from case.json's shapes.
    var storedElements: Int {
        let tensors = object["tensors"] as? [[String: Any]] ?? []
        return tensors.reduce(0) { $0 + (($1["shape"] as? [Int]) ?? []).reduce(1, *) }
    }

    /// ViTKit's name for the fixture's convention.
    var conventionName: String {
        let map = ["huggingface": "hf", "handwritten-mha": "torch-mha", "handwritten-einops": "einops",
                   "keras3-weights-h5": "keras3", "keras-legacy-h5": "keras-legacy"]
        return map[convention] ?? convention
    }
}

/// Every convention fixture (the folders beside fixtures/conventions/manifest.json).
let conventionCases: [String] = ConventionCase.names

/// JSON values compared loosely: numbers by value, arrays element-wise, null equal to absent.
func jsonEqual(_ a: Any?, _ b: Any?) -> Bool {
    switch (a, b) {
    case (nil, nil), (nil, is NSNull), (is NSNull, nil), (is NSNull, is NSNull): return true
    case let (x as [Any], y as [Any]): return x.count == y.count && zip(x, y).allSatisfy { jsonEqual($0, $1) }
    case let (x as String, y as String): return x == y
    case let (x as Bool, y as Bool): return x == y
    case let (x as NSNumber, y as NSNumber): return x.doubleValue == y.doubleValue
    default: return false
    }
}

/// The canonical tensors of timm_plain in file order, read with the safetensors reader.
func timmPlainTensors() throws -> [(String, Tensor)] {
    let f = try SafetensorsFile(path: fixture("conventions/timm_plain/model.safetensors"))
    return try f.tensorInfos.map { ($0.name, try f.tensor(named: $0.name)) }
}

/// timm_plain's config as ViTKit metadata, so copies need no --heads.
let timmPlainMetadata = ["num_heads": "2"]

@Suite("vit-summary: the summary")
struct SummaryCLITests {
    @Test("every convention fixture summarises with the config case.json expects and params = stored elements",
          arguments: conventionCases)
    func conventionFixture(_ name: String) throws {
        let c = try ConventionCase(name)
        let r = try runSummary([c.checkpointPath, "--json"] + c.mappingFlags)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)
        let j = try r.json()
        #expect(j["convention"] as? String == c.conventionName)
        #expect(j["format"] as? String == (c.checkpointPath.hasSuffix(".h5") ? "hdf5" : "safetensors"))
        let config = try #require(j["config"] as? [String: Any])
        for (key, want) in c.expectedConfig where key != "labels" {
            #expect(jsonEqual(config[key], want), "\(name): config \(key) is \(String(describing: config[key])), expected \(want)")
        }
        #expect(j["total_params"] as? Int == c.storedElements)
        let layers = try #require(j["layers"] as? [[String: Any]])
        #expect(layers.first?["type"] as? String
                == ((c.expectedConfig["distilled"] as? Bool) == true ? "VisionTransformerDistilled" : "VisionTransformer"))
    }

    @Test("the text summary has the head, the torchinfo table, the totals and the compute block")
    func textSummary() throws {
        let r = try runSummary([fixture("conventions/timm_plain/model.safetensors"), "--heads", "2"])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "file: " + fixture("conventions/timm_plain/model.safetensors"))
        #expect(lines[1] == "format: safetensors")
        #expect(lines.contains("convention: timm (detected), timm"))
        #expect(lines.contains("heads: from --heads"))
        #expect(lines.contains { $0.hasPrefix("model: image 32x32, patch 8x8, 3 channels, embed 32, depth 2, heads 2 (head dim 16), mlp 48, 10 classes") })
        #expect(lines.contains("input: batch 1, image 32x32, sequence 17 tokens"))
        #expect(lines.contains { $0.hasPrefix("VisionTransformer ") && $0.contains("[1, 10]") && $0.hasSuffix("576") })
        // Depth 3 (the default) lists the block's children but not the Linears inside attention.
        #expect(lines.contains { $0.contains("└─LayerNorm: 3-1") })
        #expect(!lines.contains { $0.contains("Linear: 4-1") })
        // 22,154 = the sum of the 32 stored tensors' elements (case.json).
        #expect(lines.contains("Total params: 22,154"))
        #expect(try ConventionCase("timm_plain").storedElements == 22_154)
        // fvcore's closed forms for D=32, A=32, M=48, L=2, N=17, G=16, V=192, K=10:
        // conv G·D·V = 98,304; linear L·N·(3DA + AD + 2DM) = 2·17·(3072 + 1024 + 3072) = 243,712, + head 320;
        // matmul L·2·N²·A = 36,992; layer norm 5·(2L·N·D + N·D) = 5·(2,176 + 544) = 13,600.
        #expect(lines.contains("MACs: 392,928 (392.93 K)"))
        #expect(lines.contains("MACs without attention: 355,936 (355.94 K)"))
        #expect(lines.contains { $0.hasPrefix("Activations: ") })
    }

    @Test("--depth 4 lists every module and --depth 0 only the model")
    func depth() throws {
        let path = fixture("conventions/timm_plain/model.safetensors")
        let all = try runSummary([path, "--heads", "2", "--depth", "4"])
        #expect(all.stdout.contains("Linear: 4-1"))
        let none = try runSummary([path, "--heads", "2", "--depth", "0"])
        #expect(!none.stdout.contains("├─"))
        #expect(none.stdout.contains("Total params: 22,154"))
    }

    @Test("--image-size runs the model at another resolution: the sequence grows, the parameters do not")
    func imageSize() throws {
        let path = fixture("conventions/timm_plain/model.safetensors")
        let r = try runSummary([path, "--heads", "2", "--image-size", "64", "--batch", "3", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try r.json()
        #expect(j["image_size"] as? [Int] == [64, 64])
        #expect(j["sequence_length"] as? Int == 65)  // (64/8)² + class token
        #expect(j["input_shape"] as? [Int] == [3, 3, 64, 64])
        #expect(j["total_params"] as? Int == 22_154)
        let layers = try #require(j["layers"] as? [[String: Any]])
        #expect(layers.first { $0["name"] as? String == "blocks.0" }?["output_shape"] as? [Int] == [3, 65, 32])
        #expect((j["config"] as? [String: Any])?["image_size"] as? [Int] == [32, 32])
        // conv B·G·D·V + linear B·L·N·(3DA + AD + 2DM) + head B·D·K + matmul B·L·2·N²·A + norms 5·B·(2L+1)·N·D
        let macs = 3 * 64 * 32 * 192 + 3 * 2 * 65 * 7168 + 3 * 320 + 3 * 2 * 2 * 65 * 65 * 32 + 5 * 3 * 5 * 65 * 32
        #expect(j["macs"] as? Int == macs)
        let text = try runSummary([path, "--heads", "2", "--image-size", "48x64"])
        #expect(text.stdout.contains("input: batch 1, image 48x64 (stored for 32x32), sequence 49 tokens"))
    }

    @Test("--json has the documented keys, heads_source, and no stats unless asked")
    func jsonKeys() throws {
        let r = try runSummary([fixture("conventions/hf_vit_classification/model"), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try r.json()
        for key in ["format", "convention", "config", "total_params", "macs", "macs_without_attention", "activations",
                    "layers", "heads_source", "file", "dialect", "notes", "sequence_length"] {
            #expect(j[key] != nil, "missing \(key)")
        }
        #expect(j["stats"] == nil)
        #expect(j["heads_source"] as? String == "metadata config.json num_attention_heads")
        let config = try #require(j["config"] as? [String: Any])
        for key in ["image_size", "patch_size", "in_channels", "embed_dim", "depth", "num_heads", "attn_dim",
                    "mlp_hidden_dim", "num_classes", "class_token", "register_tokens", "distilled", "global_pool"] {
            #expect(config[key] != nil, "config lacks \(key)")
        }
        let layer = try #require((j["layers"] as? [[String: Any]])?.first { $0["name"] as? String == "blocks.0.attn.qkv" })
        #expect(layer["type"] as? String == "Linear")
        #expect(layer["depth"] as? Int == 4)
        #expect(layer["output_shape"] as? [Int] == [1, 17, 96])
        #expect(layer["params"] as? Int == 32 * 96 + 96)
    }

    @Test("the plain summary reads no tensor data: a file whose data bytes are garbage still summarises")
    func headersOnly() throws {
        // Same header, every data byte 0xFF (NaN in F32): a summary that read values would not notice, but
        // --stats must report them. The header alone decides the summary.
        let src = try Data(contentsOf: URL(fileURLWithPath: fixture("conventions/timm_plain/model.safetensors")))
        let n = Int(src.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        var bytes = [UInt8](src)
        for i in (8 + n)..<bytes.count { bytes[i] = 0xFF }
        let path = try scratchFolder() + "/nan.safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let plain = try runSummary([path, "--heads", "2"])
        #expect(plain.status == 0)
        #expect(plain.stderr.isEmpty)
        #expect(plain.stdout.contains("Total params: 22,154"))
        let stats = try runSummary([path, "--heads", "2", "--stats"])
        #expect(stats.status == 0)
        #expect(stats.stderr.contains("warning: \(path): head.bias holds 10 NaN among 10 values"))
    }
}

@Suite("vit-summary --stats")
struct SummaryStatsCLITests {
    @Test("--stats gives min, max, mean, std and NaN/Inf/zero counts that match hand-computed values")
    func knownValues() throws {
        var tensors = try timmPlainTensors()
        func replace(_ name: String, _ values: [Float]) throws {
            let i = try #require(tensors.firstIndex { $0.0 == name })
            tensors[i].1 = try Tensor(shape: tensors[i].1.shape, float32: values)
        }
        // head.bias = 0…9: min 0, max 9, mean 4.5, population std √8.25; one zero.
        try replace("head.bias", (0..<10).map(Float.init))
        // norm.bias all zeros: a warning.
        try replace("norm.bias", [Float](repeating: 0, count: 32))
        // norm.weight: 1 NaN, +Inf, −Inf, 28 values of 2 and one 5 → finite values {2 ×28, 5}.
        let finite = [Double](repeating: 2, count: 28) + [5]
        try replace("norm.weight", [.nan, .infinity, -.infinity] + finite.map(Float.init))
        let path = try scratchFolder() + "/known.safetensors"
        try SafetensorsWriter.write(tensors: tensors, metadata: timmPlainMetadata, to: path)

        let r = try runSummary([path, "--stats", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let stats = try #require(try r.json()["stats"] as? [[String: Any]])
        #expect(stats.map { $0["name"] as? String ?? "" } == tensors.map(\.0))  // file order, source names
        let byName = Dictionary(stats.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })

        let hb = try #require(byName["head.bias"])
        #expect(hb["min"] as? Double == 0)
        #expect(hb["max"] as? Double == 9)
        #expect(hb["mean"] as? Double == 4.5)
        #expect(abs((hb["std"] as? Double ?? 0) - 8.25.squareRoot()) < 1e-12)
        #expect(hb["zeros"] as? Int == 1)
        #expect(hb["nan"] as? Int == 0)
        #expect(hb["count"] as? Int == 10)
        #expect(hb["dtype"] as? String == "F32")
        #expect(hb["shape"] as? [Int] == [10])

        let nw = try #require(byName["norm.weight"])
        #expect(nw["nan"] as? Int == 1)
        #expect(nw["inf"] as? Int == 2)
        #expect(nw["min"] as? Double == 2)
        #expect(nw["max"] as? Double == 5)
        let mean = finite.reduce(0, +) / 29  // 61/29
        let std = (finite.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 29).squareRoot()
        #expect(abs((nw["mean"] as? Double ?? 0) - mean) < 1e-12)
        #expect(abs((nw["std"] as? Double ?? 0) - std) < 1e-12)

        #expect(byName["norm.bias"]?["zeros"] as? Int == 32)
        let warnings = r.stderr.split(separator: "\n").map(String.init)
        #expect(warnings == ["warning: \(path): norm.bias is all zeros (32 values)",
                             "warning: \(path): norm.weight holds 1 NaN and 2 Inf among 32 values"])
    }

    @Test("--stats as text prints a row per tensor after the summary")
    func textTable() throws {
        let path = try scratchFolder() + "/plain.safetensors"
        var tensors = try timmPlainTensors()
        let i = try #require(tensors.firstIndex { $0.0 == "head.bias" })
        tensors[i].1 = try Tensor(shape: [10], float32: (0..<10).map(Float.init))
        try SafetensorsWriter.write(tensors: tensors, metadata: timmPlainMetadata, to: path)
        let r = try runSummary([path, "--stats"])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        let row = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("head.bias ") })
        let cells = row.split(separator: " ").map(String.init)
        #expect(cells == ["head.bias", "F32", "[10]", "0", "9", "4.5", "2.87228", "0", "0", "1"])
        #expect(r.stdout.contains("Tensor"))
        #expect(r.stdout.range(of: "Total params")!.lowerBound < r.stdout.range(of: "head.bias ")!.lowerBound)
    }

    @Test("--stats on bfloat16 weights reads them as numbers (values exact in bf16 stay exact)")
    func bf16() throws {
        var tensors = try timmPlainTensors()
        let i = try #require(tensors.firstIndex { $0.0 == "head.bias" })
        tensors[i].1 = try Tensor(shape: [10], float32: [-1.5, 0.25, 3, 0, 0, 0, 0, 0, 0, 0.5])
        let bf = try tensors.map { ($0.0, try $0.1.converted(to: .bf16)) }
        let path = try scratchFolder() + "/bf16.safetensors"
        try SafetensorsWriter.write(tensors: bf, metadata: timmPlainMetadata, to: path)
        let r = try runSummary([path, "--stats", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try r.json()
        #expect(j["params_dtype"] as? String == "BF16")
        let hb = try #require((j["stats"] as? [[String: Any]])?.first { $0["name"] as? String == "head.bias" })
        #expect(hb["dtype"] as? String == "BF16")
        #expect(hb["min"] as? Double == -1.5)
        #expect(hb["max"] as? Double == 3)
        #expect(hb["mean"] as? Double == 0.225)
        #expect(hb["zeros"] as? Int == 6)
    }
}

@Suite("vit-summary --diff")
struct SummaryDiffCLITests {
    @Test("a checkpoint equals itself: exit 0 and an 'equal' verdict")
    func equalSelf() throws {
        let path = fixture("conventions/timm_plain/model.safetensors")
        let r = try runSummary([path, "--heads", "2", "--diff", path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)
        #expect(r.stdout.hasSuffix("equal: 32 tensors, max |diff| 0\n"))
    }

    @Test("a Hugging Face folder equals the same weights written with timm names (q/k/v fused by the mapping)")
    func hfVersusTimm() throws {
        let hf = fixture("conventions/hf_vit_classification/model")
        // The timm form, built by hand from the HF tensors: q, k, v concatenated on axis 0.
        let src = try SafetensorsFile(path: hf + "/model.safetensors")
        func t(_ n: String) throws -> Tensor { try src.tensor(named: n) }
        func cat(_ parts: [Tensor]) throws -> Tensor {
            let rows = parts.reduce(0) { $0 + $1.shape[0] }
            return try Tensor(dtype: .f32, shape: [rows] + parts[0].shape.dropFirst(), bytes: parts.flatMap(\.bytes))
        }
        var tensors: [(String, Tensor)] = [
            ("cls_token", try t("vit.embeddings.cls_token")),
            ("pos_embed", try t("vit.embeddings.position_embeddings")),
            ("patch_embed.proj.weight", try t("vit.embeddings.patch_embeddings.projection.weight")),
            ("patch_embed.proj.bias", try t("vit.embeddings.patch_embeddings.projection.bias")),
        ]
        for i in 0..<2 {
            let p = "vit.encoder.layer.\(i).", b = "blocks.\(i)."
            let a = p + "attention.attention."
            tensors += [
                (b + "norm1.weight", try t(p + "layernorm_before.weight")), (b + "norm1.bias", try t(p + "layernorm_before.bias")),
                (b + "attn.qkv.weight", try cat([t(a + "query.weight"), t(a + "key.weight"), t(a + "value.weight")])),
                (b + "attn.qkv.bias", try cat([t(a + "query.bias"), t(a + "key.bias"), t(a + "value.bias")])),
                (b + "attn.proj.weight", try t(p + "attention.output.dense.weight")),
                (b + "attn.proj.bias", try t(p + "attention.output.dense.bias")),
                (b + "norm2.weight", try t(p + "layernorm_after.weight")), (b + "norm2.bias", try t(p + "layernorm_after.bias")),
                (b + "mlp.fc1.weight", try t(p + "intermediate.dense.weight")), (b + "mlp.fc1.bias", try t(p + "intermediate.dense.bias")),
                (b + "mlp.fc2.weight", try t(p + "output.dense.weight")), (b + "mlp.fc2.bias", try t(p + "output.dense.bias")),
            ]
        }
        tensors += [("norm.weight", try t("vit.layernorm.weight")), ("norm.bias", try t("vit.layernorm.bias")),
                    ("head.weight", try t("classifier.weight")), ("head.bias", try t("classifier.bias"))]
        let dir = try scratchFolder()
        let timmPath = dir + "/timm.safetensors"
        // HF's eps (1e-12) is not timm's default: a timm checkpoint converted from HF records it.
        let config = #"{"image_size":[32,32],"patch_size":[8,8],"in_channels":3,"embed_dim":32,"depth":2,"num_heads":2,"attn_dim":32,"mlp_hidden_dim":48,"qkv_bias":true,"class_token":true,"register_tokens":0,"no_embed_class":false,"global_pool":"token","final_norm":true,"fc_norm":false,"norm_pre":false,"layer_scale":false,"distilled":false,"patch_embed":"conv","patch_bias":true,"patch_norm_pre":false,"patch_norm_post":false,"layer_norm_eps":1e-12,"num_classes":10,"pos_embed_rule":"bicubic"}"#
        try SafetensorsWriter.write(tensors: tensors, metadata: ["vitkit_config": config], to: timmPath)

        let r = try runSummary([timmPath, "--diff", hf])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.hasSuffix("equal: 32 tensors, max |diff| 0\n"))

        // Without the eps (and HF's run-time resize rule) the configs differ, and the verdict says so (exit 1).
        let plainPath = dir + "/timm-no-config.safetensors"
        try SafetensorsWriter.write(tensors: tensors, metadata: ["num_heads": "2"], to: plainPath)
        let d = try runSummary([plainPath, "--diff", hf])
        #expect(d.status == 1)
        #expect(d.stdout.contains("config layer_norm_eps: 1e-06 vs 1e-12\n"))
        #expect(d.stdout.contains("config pos_embed_rule: \"bicubic_antialias\" vs \"bicubic\"\n"))
        #expect(d.stdout.hasSuffix("differ: 2 config field(s) differ (of 32 common tensors, max |diff| 0)\n"))
    }

    @Test("one changed value: exit 1, the tensor named with its largest difference")
    func oneTensorChanged() throws {
        var tensors = try timmPlainTensors()
        let i = try #require(tensors.firstIndex { $0.0 == "blocks.1.mlp.fc1.bias" })
        var values = tensors[i].1.floats()
        let old = values[7]
        values[7] = 0.5
        tensors[i].1 = try Tensor(shape: tensors[i].1.shape, float32: values)
        let path = try scratchFolder() + "/changed.safetensors"
        try SafetensorsWriter.write(tensors: tensors, metadata: timmPlainMetadata, to: path)

        let r = try runSummary([fixture("conventions/timm_plain/model.safetensors"), "--heads", "2", "--diff", path])
        #expect(r.status == 1)
        #expect(r.stderr.isEmpty)
        let want = abs(0.5 - Double(old))
        let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("blocks.1.mlp.fc1.bias ") }
        #expect(line?.hasSuffix("  DIFFERS, max |diff| \(String(format: "%g", want)) (1 of 48 values over tolerance)") == true)
        #expect(r.stdout.split(separator: "\n").filter { $0.contains("DIFFERS") }.count == 1)
        #expect(r.stdout.hasSuffix("differ: 1 tensor(s) over tolerance 0 (of 32 common tensors, max |diff| \(String(format: "%g", want)))\n"))

        // A tolerance above the change makes them equal.
        let tol = try runSummary([fixture("conventions/timm_plain/model.safetensors"), "--heads", "2", "--diff", path,
                                  "--tolerance", String(want * 1.01), "--json"])
        #expect(tol.status == 0)
        let j = try tol.json()
        #expect(j["equal"] as? Bool == true)
        // (JSONSerialization on Linux may lose the last bit when parsing.)
        #expect(abs((j["max_abs_difference"] as? Double ?? 0) - want) <= 1e-15)
        let row = try #require((j["tensors"] as? [[String: Any]])?.first { $0["name"] as? String == "blocks.1.mlp.fc1.bias" })
        #expect(row["status"] as? String == "within_tolerance")
    }

    @Test("float16 against float32: dtypes reported, differences measured in Float64, tolerance decides")
    func halfVersusFloat() throws {
        let tensors = try timmPlainTensors()
        let half = try tensors.map { ($0.0, try $0.1.converted(to: .f16)) }
        let path = try scratchFolder() + "/half.safetensors"
        try SafetensorsWriter.write(tensors: half, metadata: timmPlainMetadata, to: path)
        // The largest rounding error, computed here from the values.
        var want = 0.0
        for ((_, a), (_, b)) in zip(tensors, half) {
            for (x, y) in zip(a.floats(), b.floats()) { want = max(want, abs(Double(x) - Double(y))) }
        }
        #expect(want > 0)
        let src = fixture("conventions/timm_plain/model.safetensors")
        let strict = try runSummary([src, "--heads", "2", "--diff", path])
        #expect(strict.status == 1)
        #expect(strict.stdout.contains("; dtype F32 vs F16"))
        #expect(strict.stdout.contains("max |diff| \(String(format: "%g", want))"))
        #expect(strict.stdout.contains("32 stored with another dtype"))

        let loose = try runSummary([src, "--heads", "2", "--diff", path, "--tolerance", "1e-3"])
        #expect(loose.status == 0, "\(loose.stdout)")
        #expect(loose.stdout.hasSuffix("equal within tolerance 0.001: 32 tensors, max |diff| \(String(format: "%g", want)), 32 stored with another dtype\n"))
    }

    @Test("a torch.save file summarises, equals its wrapped form and its safetensors conversion")
    func torchFiles() throws {
        let plain = fixture("sources/torch/plain.pth")
        let r = try runSummary([plain, "--heads", "2", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try r.json()
        #expect(j["format"] as? String == "torch-zip")
        #expect(j["convention"] as? String == "timm")
        // Total params = the elements of the tensors torch itself listed (fixtures/sources/expected.json).
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture("sources/expected.json")))) as? [String: Any])
        let listed = try #require((expected["torch/plain.pth"] as? [String: Any])?["tensors"] as? [[String: Any]])
        #expect(j["total_params"] as? Int == listed.reduce(0) { $0 + (($1["shape"] as? [Int]) ?? []).reduce(1, *) })

        // {"state_dict": …} around the same tensors.
        let wrapped = try runSummary([plain, "--heads", "2", "--diff", fixture("sources/torch/wrapped.pth")])
        #expect(wrapped.status == 0, "\(wrapped.stdout)\(wrapped.stderr)")
        #expect(wrapped.stdout.hasSuffix("equal: 32 tensors, max |diff| 0\n"))

        // The check after a conversion: the same tensors re-saved as safetensors.
        let source = try CheckpointOpener.open(plain)
        let out = try scratchFolder() + "/plain.safetensors"
        try SafetensorsWriter.write(tensors: try source.tensorInfos.map { ($0.name, try source.tensor(named: $0.name)) },
                                    metadata: ["num_heads": "2"], to: out)
        let converted = try runSummary([out, "--diff", plain, "--heads", "2"])
        #expect(converted.status == 0, "\(converted.stdout)\(converted.stderr)")
        #expect(converted.stdout.hasSuffix("equal: 32 tensors, max |diff| 0\n"))
    }

    @Test("tensors only in one checkpoint and shape differences are listed")
    func structural() throws {
        // timm_plain against timm_registers: register tokens only in the second, pos_embed of another length.
        let r = try runSummary([fixture("conventions/timm_plain/model.safetensors"), "--heads", "2",
                                "--diff", fixture("conventions/timm_registers/model.safetensors"), "--json"])
        #expect(r.status == 1, "\(r.stderr)")
        let j = try r.json()
        #expect(j["equal"] as? Bool == false)
        #expect(j["only_in_b"] as? [String] == ["reg_token"])
        #expect(j["only_in_a"] as? [String] == [])
        let configDiffs = try #require(j["config_differences"] as? [[String: Any]])
        #expect(configDiffs.contains { $0["key"] as? String == "register_tokens" })
    }

    @Test("a missing or unreadable OTHER exits 2, distinct from 'different'")
    func diffErrors() throws {
        let path = fixture("conventions/timm_plain/model.safetensors")
        let r = try runSummary([path, "--heads", "2", "--diff", "/nonexistent/other.safetensors"])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == "Error: /nonexistent/other.safetensors: no such file or folder\n")
        let unmapped = try runSummary([path, "--diff", path])  // heads cannot be inferred
        #expect(unmapped.status == 2)
        #expect(unmapped.stderr.contains("pass --heads N"))
    }
}

@Suite("vit-summary: bad input")
struct SummaryErrorCLITests {
    @Test("a missing file: exit 1, the path named as missing, no stack trace")
    func missing() throws {
        let r = try runSummary(["/nonexistent/model.safetensors"])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == "Error: /nonexistent/model.safetensors: no such file or folder\n")
    }

    @Test("a file that is no checkpoint: its first bytes and the readable formats are named")
    func notACheckpoint() throws {
        let path = try scratchFolder() + "/model.pt"
        try Data("GIF89a not a model".utf8).write(to: URL(fileURLWithPath: path))
        let r = try runSummary([path])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("Error: \(path): not a checkpoint ViTKit reads (first bytes 47 49 46 38 39 61 20 6e); expected safetensors"))
        #expect(!r.stderr.contains("Fatal error"))
        // A file that starts like a zip is a damaged zip: the zip reader's own error.
        try Data("PK\u{3}\u{4} not a model".utf8).write(to: URL(fileURLWithPath: path))
        let z = try runSummary([path])
        #expect(z.status == 1)
        #expect(z.stderr == "Error: \(path): not a ZIP archive (no end-of-central-directory record in the last 65,557 bytes)\n")
    }

    @Test("a truncated safetensors file: the reader's error, not a crash")
    func truncated() throws {
        let src = try Data(contentsOf: URL(fileURLWithPath: fixture("conventions/timm_plain/model.safetensors")))
        let path = try scratchFolder() + "/cut.safetensors"
        try src.dropLast(100).write(to: URL(fileURLWithPath: path))
        let r = try runSummary([path, "--heads", "2"])
        #expect(r.status == 1)
        var expected = ""
        do { _ = try SafetensorsFile(path: path) } catch { expected = "Error: \(error)\n" }
        #expect(!expected.isEmpty)
        #expect(r.stderr == expected)
        #expect(r.stderr.contains(path))
    }

    @Test("tensors with no canonical place are all listed; --allow-unused drops them with a note")
    func unmapped() throws {
        var tensors = try timmPlainTensors()
        tensors.append(("extra.weight", try Tensor(shape: [2], float32: [1, 2])))
        tensors.append(("aux_head.bias", try Tensor(shape: [3], float32: [1, 2, 3])))
        let path = try scratchFolder() + "/extra.safetensors"
        try SafetensorsWriter.write(tensors: tensors, metadata: timmPlainMetadata, to: path)
        let r = try runSummary([path])
        #expect(r.status == 1)
        #expect(r.stderr == "Error: \(path): 2 tensor(s) have no place in the canonical layout:\n  extra.weight\n  aux_head.bias\npass --allow-unused to drop them\n")
        let ok = try runSummary([path, "--allow-unused"])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("note: dropped 2 tensor(s) with no canonical place: extra.weight; aux_head.bias"))
    }

    @Test("usage errors exit 64 with the reason")
    func usage() throws {
        let path = fixture("conventions/timm_plain/model.safetensors")
        let cases: [([String], String)] = [
            ([path, "--tolerance", "0.1"], "--tolerance needs --diff"),
            ([path, "--stats", "--diff", path], "--stats and --diff cannot be combined"),
            ([path, "--batch", "0"], "--batch must be positive, found 0"),
            ([path, "--depth=-1"], "--depth must be 0 or more, found -1"),
            ([path, "--image-size", "0x3"], "--image-size"),
            ([path, "--diff", path, "--tolerance=-1"], "--tolerance must be a finite number ≥ 0, found -1.0"),
        ]
        for (args, fragment) in cases {
            let r = try runSummary(args)
            #expect(r.status == 64, "\(args)")
            #expect(r.stderr.contains(fragment), "\(args): \(r.stderr)")
        }
    }

    @Test("an image size that is no whole number of patches is refused by the summary")
    func untiledImage() throws {
        let r = try runSummary([fixture("conventions/timm_plain/model.safetensors"), "--heads", "2", "--image-size", "30"])
        #expect(r.status == 1)
        #expect(r.stderr == "Error: summary: image 30x30 is not a whole number of 8x8 patches\n")
    }
}
