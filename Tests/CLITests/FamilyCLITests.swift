import Foundation
import Testing
import ViTNumpy
import ViTSafetensors
import ViTTensor

/// The model-family checkpoints (fixtures/families, tools/fixtures_families.py) through the tools: vit-run's
/// default output is the library's (logits, or the embedding the library defines), at another input size it
/// interpolates the position embedding with the source library's run-time rule (recorded by vit-convert),
/// and `--interpolate` overrides that rule. Tolerance: 1e-4 relative, as every parity test.
@Suite("vit-run and vit-convert on the model families")
struct FamilyCLITests {
    struct Case: Decodable {
        struct Options: Decodable { let heads: Int?; let activation: String? }
        /// Tokens of a layer as the library returns them (tools/fixtures_families.py `hidden_states`).
        struct Tokens: Decodable { let file: String; let layer: Int; let final_norm: Bool; let what: String }
        let tokens: [Tokens]?
        let checkpoint: String
        let options: Options
        let resized: [Int]
        let output: String
        let convention: String
        let parameter_count: Int
        let library_parameter_count: Int
        let mask_token_parameters: Int
    }

    static let root = fixture("families")

    static let cases: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: "\(root)/\($0)/case.json") }.sorted()
    }()

    static func load(_ name: String) throws -> Case {
        try JSONDecoder().decode(Case.self, from: Data(contentsOf: URL(fileURLWithPath: "\(root)/\(name)/case.json")))
    }

    /// The flags a user passes for what the checkpoint does not record (case.json `options`).
    static func flags(_ c: Case) -> [String] {
        (c.options.heads.map { ["--heads", "\($0)"] } ?? []) + (c.options.activation.map { ["--activation", $0] } ?? [])
    }

    static func array(_ path: String) throws -> [Float] { try NpyFile(path: path).tensor.floats() }

    /// Runs vit-run on `model` with `input`, returning what it wrote.
    static func run(_ model: String, _ input: String, _ extra: [String]) throws -> (ToolResult, [Float]) {
        let out = makeTempFolder() + "/out.npy"
        let r = try runTool("vit-run", [model, "--input", input, "--output", out, "--top", "1"] + extra)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        return (r, r.status == 0 ? try array(out) : [])
    }

    @Test("vit-run's default output is the library's output (logits or its embedding)", arguments: cases)
    func defaultOutput(_ name: String) throws {
        let c = try Self.load(name)
        let dir = "\(Self.root)/\(name)"
        let (_, got) = try Self.run("\(dir)/\(c.checkpoint)", "\(dir)/input.npy", Self.flags(c))
        let err = relativeError(got, try Self.array("\(dir)/output.npy"))
        #expect(err <= logitTolerance, "\(name) (\(c.output)): relative error \(err)")
    }

    @Test("at another input size vit-run interpolates as the source library, directly and after vit-convert",
          arguments: cases.filter { ((try? FamilyCLITests.load($0))?.resized.isEmpty ?? true) == false })
    func runtimeResize(_ name: String) throws {
        let c = try Self.load(name)
        let dir = "\(Self.root)/\(name)"
        let converted = makeTempFolder() + "/model.bin"
        let conv = try runTool("vit-convert", ["\(dir)/\(c.checkpoint)", converted, "--quiet"] + Self.flags(c))
        #expect(conv.status == 0, "stderr: \(conv.stderr)")
        for px in c.resized {
            let want = try Self.array("\(dir)/output_\(px).npy")
            for model in ["\(dir)/\(c.checkpoint)", converted] {
                let (r, got) = try Self.run(model, "\(dir)/input_\(px).npy", model == converted ? [] : Self.flags(c))
                let err = relativeError(got, want)
                #expect(err <= logitTolerance, "\(name) via \(model) at \(px) px: relative error \(err)")
                #expect(r.stderr.contains("interpolated at run time"))
            }
        }
    }

    @Test("--interpolate changes the output measurably; vit-convert records it; the default is the checkpoint's rule")
    func interpolateOverride() throws {
        // Original DINOv2 without registers: its own rule is dinov2_offset.
        let dir = "\(Self.root)/dinov2_original"
        let want = try Self.array("\(dir)/output_24.npy")
        let input = "\(dir)/input_24.npy"
        for rule in ["bicubic_antialias", "bicubic", "bilinear"] {
            let (r, got) = try Self.run("\(dir)/model.pth", input, ["--heads", "4", "--interpolate", rule])
            #expect(relativeError(got, want) > 1e-3, "--interpolate \(rule) should differ from dinov2_offset")
            #expect(r.stderr.contains("interpolation \(rule) (--interpolate) instead of dinov2_offset"))
        }
        let (_, same) = try Self.run("\(dir)/model.pth", input, ["--heads", "4", "--interpolate", "dinov2_offset"])
        #expect(relativeError(same, want) <= logitTolerance)

        // Converted with another rule: the file keeps it, and --interpolate at run time overrides it again.
        let folder = makeTempFolder()
        let bin = folder + "/aa.bin"
        let conv = try runTool("vit-convert", ["\(dir)/model.pth", bin, "--quiet", "--heads", "4", "--interpolate", "bicubic_antialias"])
        #expect(conv.status == 0, "stderr: \(conv.stderr)")
        let (_, aa) = try Self.run(bin, input, [])
        let (_, aaDirect) = try Self.run("\(dir)/model.pth", input, ["--heads", "4", "--interpolate", "bicubic_antialias"])
        #expect(relativeError(aa, aaDirect) <= 1e-6)
        #expect(relativeError(aa, want) > 1e-3)
        let (_, back) = try Self.run(bin, input, ["--interpolate", "dinov2_offset"])
        #expect(relativeError(back, want) <= logitTolerance)
    }

    @Test("--features tokens --layer N gives the library's hidden states; the final norm only for the last layer by default",
          arguments: cases.filter { ((try? FamilyCLITests.load($0))?.tokens ?? []).isEmpty == false })
    func tokens(_ name: String) throws {
        let c = try Self.load(name)
        let dir = "\(Self.root)/\(name)"
        for t in c.tokens ?? [] {
            // The default applies the final norm after the last layer only; say otherwise where the library differs.
            let normFlag = t.final_norm == (t.layer == -1) ? [] : [t.final_norm ? "--final-norm" : "--no-final-norm"]
            let (r, got) = try Self.run("\(dir)/\(c.checkpoint)", "\(dir)/input.npy",
                                        Self.flags(c) + ["--features", "tokens", "--layer", "\(t.layer)"] + normFlag)
            let want = try NpyFile(path: "\(dir)/\(t.file)").tensor
            #expect(got.count == want.shape.reduce(1, *))
            let err = relativeError(got, want.floats())
            #expect(err <= logitTolerance, "\(name) \(t.what): relative error \(err)")
            #expect(r.stdout.contains("tokens \(Shape.describe(want.shape))"), "stdout: \(r.stdout)")
            #expect(r.stderr.contains(t.final_norm ? "final norm applied" : "final norm not applied"), "stderr: \(r.stderr)")
        }
    }

    @Test("--layer out of range, 0, or without --features tokens, and --repeat with tokens, are refused")
    func badLayer() throws {
        let dir = "\(Self.root)/hf_dinov2"
        for (flags, words) in [(["--features", "tokens", "--layer", "3"], "2 blocks"),
                               (["--features", "tokens", "--layer", "-3"], "2 blocks"),
                               (["--features", "tokens", "--layer", "0"], "counts from 1"),
                               (["--layer", "1"], "only with --features tokens"),
                               (["--features", "tokens", "--repeat", "2"], "does not apply with --features tokens")] {
            let r = try runTool("vit-run", ["\(dir)/model", "--input", "\(dir)/input.npy"] + flags)
            #expect(r.status != 0)
            #expect(r.stderr.contains(words), "\(flags): \(r.stderr)")
        }
    }

    @Test("a bad --interpolate rule is refused with the list of rules")
    func badRule() throws {
        let dir = "\(Self.root)/dinov2_original"
        let r = try runTool("vit-run", ["\(dir)/model.pth", "--input", "\(dir)/input_24.npy", "--interpolate", "nearest"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("bicubic_antialias") && r.stderr.contains("dinov2_offset"))
    }

    @Test("an input size that is not a whole number of patches is refused")
    func badInputSize() throws {
        let dir = makeTempFolder()
        let images = try Tensor(shape: [1, 3, 18, 18], float32: [Float](repeating: 0.1, count: 3 * 18 * 18))
        try NpyFile.write(images, to: dir + "/x.npy")
        let r = try runTool("vit-run", ["\(Self.root)/dinov2_original/model.pth", "--input", dir + "/x.npy", "--heads", "4"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("18x18") || r.stderr.contains("do not tile"), "stderr: \(r.stderr)")
    }

    @Test("a BEiT checkpoint is refused by vit-run, vit-convert and vit-summary naming the family, the tensor and why")
    func refusedFamily() throws {
        let dir = makeTempFolder()
        let model = dir + "/beit.safetensors"
        func t(_ shape: [Int]) throws -> Tensor { try Tensor(shape: shape, float32: [Float](repeating: 0.25, count: shape.reduce(1, *))) }
        try SafetensorsWriter.write(tensors: [
            ("cls_token", try t([1, 1, 8])), ("patch_embed.proj.weight", try t([8, 3, 4, 4])), ("patch_embed.proj.bias", try t([8])),
            ("blocks.0.attn.qkv.weight", try t([24, 8])), ("blocks.0.attn.relative_position_bias_table", try t([52, 2])),
        ], to: model)
        let images = try Tensor(shape: [1, 3, 16, 16], float32: [Float](repeating: 0.1, count: 768))
        try NpyFile.write(images, to: dir + "/x.npy")
        for (tool, args) in [("vit-run", [model, "--input", dir + "/x.npy"]), ("vit-convert", [model, dir + "/out.bin"]),
                             ("vit-summary", [model])] {
            let r = try runTool(tool, args)
            #expect(r.status != 0, "\(tool)")
            #expect(r.stderr.contains("BEiT") && r.stderr.contains("blocks.0.attn.relative_position_bias_table")
                    && r.stderr.contains("relative position bias"), "\(tool): \(r.stderr)")
            #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.bin"))
    }

    /// What vit-summary's features line must say for each family (the rest of the line may say more).
    static let expectedFeatures: [String: [String]] = [
        "hf_siglip_vision": ["GELU (tanh approximation)", "MAP attention-pool head", "run-time resize bicubic "],
        "hf_siglip_model": ["GELU (tanh approximation)", "MAP attention-pool head", "run-time resize bicubic "],
        "big_vision_siglip": ["GELU (tanh approximation)", "MAP attention-pool head", "run-time resize bilinear"],
        "timm_siglip_map": ["MAP attention-pool head", "run-time resize bicubic_antialias"],
        "openclip_siglip_timm_trunk": ["activation GELU (erf)", "MAP attention-pool head", "run-time resize bicubic_antialias"],
        "openclip_quickgelu": ["QuickGELU", "norm_pre", "projection head to 24, no bias"],
        "hf_clip_vision_projection": ["QuickGELU", "norm_pre", "projection head to 24, no bias"],
        "hf_clip_model": ["QuickGELU", "norm_pre", "projection head to 24, no bias"],
        "timm_clip_quickgelu": ["QuickGELU", "norm_pre", "output: 24 logits"],
        "dinov2_original": ["layer scale", "run-time resize dinov2_offset"],
        "dinov2_original_registers": ["4 register tokens (inserted after the position embedding", "layer scale",
                                      "run-time resize bicubic_antialias"],
        "dinov2_original_swiglu_chunked_teacher": ["SwiGLU", "layer scale"],
        "hf_dinov2": ["layer scale", "run-time resize bicubic "],
        "hf_dinov2_registers": ["4 register tokens (inserted after the position embedding", "run-time resize bicubic_antialias"],
        "hf_dinov2_swiglu_bf16": ["SwiGLU", "layer scale"],
        "hf_dinov2_registers_classifier": ["4 register tokens (inserted after the position embedding",
                                           "pool: class token + mean of patch tokens (64 features)", "output: 5 logits"],
        "timm_dinov2_reg4": ["4 register tokens (no position embedding on prefix tokens)", "layer scale"],
        "hf_deit_teacher": ["distillation token", "output: 10 logits"],
        "hf_mae_pretraining": ["activation GELU (erf)", "output: the 32-wide embedding (pool token)"],
    ]

    @Test("vit-summary names the family and its features, and counts the library's parameters (mask token said)",
          arguments: cases)
    func summary(_ name: String) throws {
        let c = try Self.load(name)
        let dir = "\(Self.root)/\(name)"
        let r = try runTool("vit-summary", ["\(dir)/\(c.checkpoint)"] + Self.flags(c))
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let digits = Array(String(c.parameter_count))
        let grouped = String(digits.enumerated().flatMap { i, ch in (i > 0 && (digits.count - i) % 3 == 0 ? [","] : []) + [ch] })
        #expect(r.stdout.contains("Total params: \(grouped)\n"), "\(name): expected \(c.parameter_count)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let family = try #require(lines.first { $0.hasPrefix("family: ") })
        if c.convention != "timm" { #expect(!family.contains("not recorded"), "\(name): \(family)") }
        let features = try #require(lines.first { $0.hasPrefix("features: ") })
        for words in Self.expectedFeatures[name] ?? [] { #expect(features.contains(words), "\(name): \(features)") }
        #expect(c.library_parameter_count - c.parameter_count == c.mask_token_parameters)
        if c.mask_token_parameters > 0 {
            #expect(r.stdout.contains("its \(c.mask_token_parameters) parameters are not counted here"), "\(name)")
        }
    }

    /// fvcore 0.1.5 on the same networks built in timm 1.0.31 with `set_fused_attn(False)` (a MAP-pooled SigLIP:
    /// `class_token=False, global_pool='map'`; a SwiGLU DINOv2: `mlp_layer=SwiGLUPacked`, fc1 96), batch 1 at 16 px:
    /// FlopCountAnalysis and ActivationCountAnalysis totals.
    static let fvcore: [(name: String, macs: Int, activations: Int)] = [
        ("timm_siglip_map", 372_384, 12_032), ("hf_dinov2_swiglu_bf16", 371_104, 12_616),
    ]

    @Test("vit-summary's MACs and activations for the MAP head and SwiGLU equal fvcore's on the timm model",
          arguments: fvcore.map(\.name))
    func summaryCompute(_ name: String) throws {
        let want = try #require(Self.fvcore.first { $0.name == name })
        let c = try Self.load(name)
        let r = try runTool("vit-summary", ["\(Self.root)/\(name)/\(c.checkpoint)", "--json"] + Self.flags(c))
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("\"macs\" : \(want.macs)") || r.stdout.contains("\"macs\":\(want.macs)"), "\(r.stdout.prefix(600))")
        #expect(r.stdout.contains("\"activations\" : \(want.activations)") || r.stdout.contains("\"activations\":\(want.activations)"))
    }
}
