import Foundation
import Testing
import ViTNumpy
import ViTTensor

/// Hand-written PyTorch ViTs (fixtures/handwritten, made by tools/fixtures_handwritten.py with PyTorch 2.15 from the
/// tutorials' own code and from layouts with invented names) read by structure: logits within 1e-4 relative of
/// PyTorch's, directly and after vit-convert to .bin and .safetensors; layouts the weights cannot settle are refused
/// with the roles and the --map lines, and run once those lines are given.
@Suite("Hand-written models through the tools")
struct HandwrittenCLITests {
    /// case.json, the parts the tests use.
    struct Case: Decodable {
        struct Options: Decodable {
            let heads: Int
            let eps: Double?
            let patch_order: String?
            let act: String?
            let head_act: String?
            let map: [String]?
            /// The image size a checkpoint without metadata was trained at (vit-run takes it from the input).
            let source_image_size: [Int]?
        }
        struct Checkpoint: Decodable { let files: [String] }
        struct Facts: Decodable { let parameters: Int? }
        let options: Options
        let checkpoint: Checkpoint
        let facts: Facts
        let notes: [String]?

        /// True when the case is meant to be refused unless its map is given.
        var ambiguous: Bool { notes?.contains { $0.hasPrefix("EXPECTED: refused") } ?? false }
    }

    static let root = fixture("handwritten")

    static let cases: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: "\(root)/\($0)/case.json") }.sorted()
    }()

    static func load(_ name: String) throws -> Case {
        try JSONDecoder().decode(Case.self, from: Data(contentsOf: URL(fileURLWithPath: "\(root)/\(name)/case.json")))
    }

    /// What a user passes for what the weights cannot tell: heads, eps, activations, and (ambiguous cases) a map.
    static func flags(_ c: Case, folder: String, withMap: Bool) throws -> [String] {
        var f = ["--heads", String(c.options.heads)]
        if let e = c.options.eps { f += ["--eps", String(e)] }
        if let a = c.options.act, a != "gelu" { f += ["--act", a] }
        if let h = c.options.head_act, h != "gelu" { f += ["--head-act", h] }
        if withMap, let lines = c.options.map {
            let entries = lines.map { line -> String in
                let parts = line.components(separatedBy: " -> ")
                return "\"\(parts[0])\": \"\(parts[1])\""
            }
            let path = folder + "/map.json"
            try Data(("{\"version\": 1, \"tensors\": {" + entries.joined(separator: ", ") + "}}").utf8).write(to: URL(fileURLWithPath: path))
            f += ["--map", path]
        }
        return f
    }

    func logits(_ path: String) throws -> [Float] { try NpyFile(path: path).tensor.floats() }

    @Test("the fixtures hold the seeds' models and invented layouts", arguments: [0])
    func present(_: Int) {
        for needed in ["seed004_conv", "seed004_unfold", "seed000_einops", "seed000_einops_block", "var_modulelist_sep_qkv",
                       "var_torch_encoder_gray", "amb_norm_order", "amb_linear_roles"] {
            #expect(Self.cases.contains(needed), "\(needed)")
        }
    }

    @Test("every hand-written model gives PyTorch's logits through vit-run, directly and after vit-convert to .bin and .safetensors",
          arguments: HandwrittenCLITests.cases)
    func logitsMatch(_ name: String) throws {
        let c = try Self.load(name)
        let dir = "\(Self.root)/\(name)"
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let flags = try Self.flags(c, folder: tmp, withMap: true)
        let want = try logits("\(dir)/logits.npy")
        for file in c.checkpoint.files where !file.hasSuffix(".json") {
            let out = "\(tmp)/\(file).npy"
            let r = try runTool("vit-run", ["\(dir)/\(file)", "--input", "\(dir)/input.npy", "--output", out] + flags)
            #expect(r.status == 0, "\(name)/\(file): \(r.stderr)")
            guard r.status == 0 else { continue }
            #expect(relativeError(try logits(out), want) <= logitTolerance, "\(name)/\(file)")
        }
        for ext in ["bin", "safetensors"] {
            let converted = "\(tmp)/converted.\(ext)"
            // vit-convert has no input to take a non-square grid from: the user states the training size.
            let size = c.options.source_image_size.map { ["--source-image-size", "\($0[0])x\($0[1])"] } ?? []
            let conv = try runTool("vit-convert", ["\(dir)/\(c.checkpoint.files[0])", converted] + flags + size)
            #expect(conv.status == 0, "\(name) → .\(ext): \(conv.stderr)")
            guard conv.status == 0 else { continue }
            let out = "\(tmp)/converted-\(ext).npy"
            // The converted file carries the config: no flags needed.
            let r = try runTool("vit-run", [converted, "--input", "\(dir)/input.npy", "--output", out])
            #expect(r.status == 0, "\(name) .\(ext): \(r.stderr)")
            guard r.status == 0 else { continue }
            #expect(relativeError(try logits(out), want) <= logitTolerance, "\(name) after .\(ext)")
        }
    }

    @Test("vit-summary gives the parameter count PyTorch counts", arguments: HandwrittenCLITests.cases)
    func parameterCount(_ name: String) throws {
        let c = try Self.load(name)
        guard let params = c.facts.parameters else { return }
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        var flags = try Self.flags(c, folder: tmp, withMap: true)
        if let s = c.options.source_image_size { flags += ["--source-image-size", "\(s[0])x\(s[1])"] }
        let r = try runTool("vit-summary", ["\(Self.root)/\(name)/\(c.checkpoint.files[0])"] + flags)
        #expect(r.status == 0, "\(name): \(r.stderr)")
        let grouped = params.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))
        #expect(r.stdout.contains("Total params: \(grouped)"), "\(name): \(params)")
    }

    @Test("a layout whose roles the weights cannot settle is refused with the roles and the --map lines",
          arguments: ["amb_norm_order", "amb_linear_roles"])
    func ambiguousRefused(_ name: String) throws {
        let c = try Self.load(name)
        let dir = "\(Self.root)/\(name)"
        let r = try runTool("vit-run", ["\(dir)/model.safetensors", "--input", "\(dir)/input.npy", "--heads", String(c.options.heads)])
        #expect(r.status != 0)
        #expect(r.stderr.contains("the weights cannot tell these roles apart"))
        #expect(r.stderr.contains("--map FILE"))
        #expect(!r.stderr.contains("Fatal") && !r.stderr.contains("Stack"))
        switch name {
        case "amb_norm_order":
            #expect(r.stderr.contains("seq.0.ln_a: norm1 or norm2") && r.stderr.contains("seq.0.ln_b: norm1 or norm2"))
            #expect(r.stderr.contains("\"seq.{i}.ln_a\": \"blocks.{i}.norm"))
        default:
            #expect(r.stderr.contains("perches.0.lin_x: fc1 or fc2 or proj"))
        }
    }

    @Test("what the weights cannot show is said: a lone final norm with mean pooling is assumed before the pool, with the map line that says otherwise")
    func meanPoolNormAssumptionSaid() throws {
        let dir = "\(Self.root)/var_relu_meanpool"
        let r = try runTool("vit-run", ["\(dir)/model.pth", "--input", "\(dir)/input.npy", "--heads", "2", "--act", "relu", "--eps", "1e-6"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("closing_ln assumed to normalise all tokens before the mean pooling"))
        #expect(r.stderr.contains("\"closing_ln\": \"fc_norm\""))
    }

    @Test("a torch.save file whose norms are registered in an order unlike their use is refused too (order alone decides nothing)")
    func registrationOrderAloneRefused() throws {
        let dir = "\(Self.root)/amb_norm_order"
        let r = try runTool("vit-run", ["\(dir)/model.pth", "--input", "\(dir)/input.npy", "--heads", "2"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("seq.0.ln_a: norm1 or norm2"))
    }

    @Test("vit-run takes a non-square grid no metadata records from the input's HxW, and says so")
    func gridFromInput() throws {
        let dir = "\(Self.root)/var_nonsquare_nometa"
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let r = try runTool("vit-run", ["\(dir)/model.safetensors", "--input", "\(dir)/input.npy", "--heads", "2", "--output", "\(tmp)/o.npy"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("image size 24x40 taken from the input"))
        #expect(relativeError(try logits("\(tmp)/o.npy"), try logits("\(dir)/logits.npy")) <= logitTolerance)
        // Without an input the size must be given.
        let s = try runTool("vit-summary", ["\(dir)/model.safetensors", "--heads", "2"])
        #expect(s.status != 0 && s.stderr.contains("--source-image-size"))
    }

    @Test("vit-summary --tensors lists every raw tensor and where it maps; --suggest-map writes a map that settles the layout")
    func tensorsAndSuggestion() throws {
        let dir = "\(Self.root)/amb_norm_order"
        let list = try runTool("vit-summary", ["\(dir)/model.safetensors", "--tensors", "--heads", "2"])
        #expect(list.status == 0)
        #expect(list.stdout.contains("seq.0.ln_a.weight") && list.stdout.contains("F32") && list.stdout.contains("(16,)"))
        #expect(list.stderr.contains("cannot tell these roles apart"))
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let map = "\(tmp)/map.json"
        let s = try runTool("vit-summary", ["\(Self.root)/seed004_conv/model.safetensors", "--heads", "2", "--suggest-map", map])
        #expect(s.status == 0, "\(s.stderr)")
        let text = try String(contentsOfFile: map, encoding: .utf8)
        #expect(text.contains("\"transformer_encoders.{i}.norm_0.weight\": \"blocks.{i}.norm1.weight\""))
        #expect(text.contains("\"patcher.conv.weight\": \"patch_embed.proj.weight\""))
        // The suggested map alone maps the model.
        let r = try runTool("vit-run", ["\(Self.root)/seed004_conv/model.safetensors", "--input", "\(Self.root)/seed004_conv/input.npy",
                                        "--heads", "2", "--map", map, "--output", "\(tmp)/o.npy"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(relativeError(try logits("\(tmp)/o.npy"), try logits("\(Self.root)/seed004_conv/logits.npy")) <= logitTolerance)
    }

    @Test("seed 004's ViT-B/16 (headers only, a sparse file) has the tutorial's 86,396,938 parameters and fvcore's MACs")
    func seed004Summary() throws {
        struct Listing: Decodable {
            struct T: Decodable { let name: String; let shape: [Int] }
            struct Fv: Decodable { struct Mode: Decodable { let total: Int }; let eval_mode: Mode }
            let tensors: [T]
            let fvcore: Fv
        }
        let listing = try JSONDecoder().decode(Listing.self, from: Data(contentsOf: URL(fileURLWithPath: "\(Self.root)/seed004_vit_b16/tensors.json")))
        // A safetensors header for those tensors, the data region left as a hole.
        var offset = 0
        var fields: [String] = []
        for t in listing.tensors {
            let bytes = t.shape.reduce(4, *)
            fields.append("\"\(t.name)\":{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var header = Array(("{" + fields.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        let tmp = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let path = "\(tmp)/vit_b16.safetensors"
        var bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header
        bytes.reserveCapacity(bytes.count)
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(8 + header.count + offset))
        try handle.close()
        let r = try runTool("vit-summary", [path, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(doc?["total_params"] as? Int == 86_396_938)
        #expect(doc?["macs"] as? Int == listing.fvcore.eval_mode.total)
        #expect(doc?["convention"] as? String == "structure")
    }
}
