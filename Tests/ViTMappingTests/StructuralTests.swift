import Testing
import ViTModel
import ViTTensor
@testable import ViTMapping

/// The structural reading on layouts written here with names no table, fixture or tutorial uses: roles must come
/// from shapes and module grouping, ambiguities must be refused with the lines that settle them, and a mapping
/// file must settle them. (The PyTorch-made hand-written models are checked end to end in CLITests.)
@Suite("Structural reading of unseen hand-written layouts")
struct StructuralTests {
    /// A hand-written model's state-dict entries: invented names, D = 16, attention width A, MLP width H.
    struct Layout {
        var d = 16, a = 24, h = 40, depth = 3, classes = 7, grid = 3, patch = 4
        /// Block module names: two norms, then the attention and MLP Linears.
        var normA = "n_talk", normB = "n_think"
        var qkv: [String] = ["talk.fused"]  // one fused Linear, or three separate ones
        var proj = "talk.out", up = "think.grow", down = "think.shrink"

        func infos() -> [TensorInfo] {
            var out: [(String, [Int])] = [("stem.weight", [d, 3, patch, patch]), ("stem.bias", [d]),
                                          ("summary_tok", [1, 1, d]), ("where", [1, grid * grid + 1, d])]
            for i in 0..<depth {
                let p = "tower.\(i)."
                out += [(p + normA + ".weight", [d]), (p + normA + ".bias", [d])]
                if qkv.count == 1 {
                    out += [(p + qkv[0] + ".weight", [3 * a, d]), (p + qkv[0] + ".bias", [3 * a])]
                } else {
                    for q in qkv { out += [(p + q + ".weight", [a, d]), (p + q + ".bias", [a])] }
                }
                out += [(p + proj + ".weight", [d, a]), (p + proj + ".bias", [d])]
                out += [(p + normB + ".weight", [d]), (p + normB + ".bias", [d])]
                out += [(p + up + ".weight", [h, d]), (p + up + ".bias", [h]), (p + down + ".weight", [d, h]), (p + down + ".bias", [d])]
            }
            out += [("closing.weight", [d]), ("closing.bias", [d]), ("judge.weight", [classes, d]), ("judge.bias", [classes])]
            return out.map { TensorInfo(name: $0.0, dtype: .f32, shape: $0.1) }
        }
    }

    func plan(_ l: Layout, sorted: Bool = true, registrationOrder: Bool = false,
              options: MappingOptions = MappingOptions(heads: 2)) throws -> MappingResult {
        var infos = l.infos()
        if sorted { infos.sort { $0.name < $1.name } }  // safetensors sorts its header
        var context = SourceContext(file: "model.safetensors")
        context.registrationOrder = registrationOrder
        return try ViTMapper.plan(infos, context: context, options: options)
    }

    func mapped(_ map: MapFile, _ name: String) -> MappingOptions {
        var o = MappingOptions(heads: 2)
        o.mapFile = map
        o.mapFileName = name
        return o
    }

    func source(_ r: MappingResult, _ canonical: String) -> [String]? { r.plan.entry(named: canonical)?.sources }

    @Test("an invented layout (A ≠ D, fused qkv, norms named after what they feed) maps by structure")
    func inventedLayout() throws {
        let r = try plan(Layout())
        #expect(r.report.convention == .structural)
        #expect(r.config.depth == 3 && r.config.embedDim == 16 && r.config.attnDim == 24 && r.config.headDim == 12)
        #expect(r.config.mlpHiddenDim == 40 && r.config.numClasses == 7 && r.config.imageSize == [12, 12])
        #expect(source(r, "blocks.2.norm1.weight") == ["tower.2.n_talk.weight"])
        #expect(source(r, "blocks.2.norm2.weight") == ["tower.2.n_think.weight"])
        #expect(source(r, "blocks.1.attn.qkv.weight") == ["tower.1.talk.fused.weight"])
        #expect(source(r, "blocks.1.mlp.fc1.weight") == ["tower.1.think.grow.weight"])
        #expect(source(r, "blocks.1.mlp.fc2.weight") == ["tower.1.think.shrink.weight"])
        #expect(source(r, "norm.weight") == ["closing.weight"])
        #expect(source(r, "head.weight") == ["judge.weight"])
        #expect(source(r, "cls_token") == ["summary_tok"])
        #expect(r.plan.unused.isEmpty)
    }

    @Test("the roles do not depend on the names' spelling: the same model renamed again maps the same way")
    func renamedAgain() throws {
        var l = Layout()
        (l.normA, l.normB, l.qkv, l.proj, l.up, l.down) = ("attn_ln", "mlp_ln", ["attn.w_in"], "attn.w_out", "mlp.l1", "mlp.l2")
        let r = try plan(l)
        #expect(source(r, "blocks.0.norm1.weight") == ["tower.0.attn_ln.weight"])
        #expect(source(r, "blocks.0.norm2.weight") == ["tower.0.mlp_ln.weight"])
        #expect(source(r, "blocks.0.mlp.fc2.bias") == ["tower.0.mlp.l2.bias"])
    }

    @Test("norms with nothing to tell them apart are refused with the roles and the --map lines; a map settles them")
    func ambiguousNorms() throws {
        var l = Layout()
        (l.normA, l.normB) = ("ln_p", "ln_z")
        do {
            _ = try plan(l)
            Issue.record("expected a refusal")
        } catch let MappingError.ambiguousStructure(file, roles, lines) {
            #expect(file == "model.safetensors")
            #expect(roles.contains { $0.contains("tower.0.ln_p") && $0.contains("norm1 or norm2") })
            #expect(lines.contains { $0.contains("\"tower.{i}.ln_p\"") })
        }
        // Registered interleaved (each norm right before what it feeds), the order tells; both norms registered
        // before the attention, it tells nothing, and bare registration order never decides.
        let interleaved = try plan(l, sorted: false, registrationOrder: true)
        #expect(source(interleaved, "blocks.0.norm1.weight") == ["tower.0.ln_p.weight"])
        var normsFirst = l.infos()
        let moved = normsFirst.filter { $0.name.contains(".ln_z.") }
        normsFirst.removeAll { $0.name.contains(".ln_z.") }
        for m in moved {
            let at = try #require(normsFirst.firstIndex { $0.name == m.name.replacingOccurrences(of: "ln_z", with: "ln_p") })
            normsFirst.insert(m, at: at + 1)
        }
        var context = SourceContext(file: "model.pth")
        context.registrationOrder = true
        #expect(throws: MappingError.self) { try ViTMapper.plan(normsFirst, context: context, options: MappingOptions(heads: 2)) }
        let map = try MapFile(text: #"{"version": 1, "tensors": {"tower.{i}.ln_z": "blocks.{i}.norm1", "tower.{i}.ln_p": "blocks.{i}.norm2"}}"#,
                              file: "map.json")
        let r = try plan(l, options: mapped(map, "map.json"))
        #expect(source(r, "blocks.1.norm1.weight") == ["tower.1.ln_z.weight"])
        #expect(source(r, "blocks.1.norm2.weight") == ["tower.1.ln_p.weight"])
    }

    @Test("separate q, k, v: by their names; same-shaped Linears the names cannot tell are refused unless the file keeps registration order")
    func separateQKV() throws {
        var l = Layout()
        l.qkv = ["talk.wv", "talk.wq", "talk.wk"]
        let named = try plan(l)
        #expect(source(named, "blocks.0.attn.qkv.weight") == ["tower.0.talk.wq.weight", "tower.0.talk.wk.weight", "tower.0.talk.wv.weight"])

        l.qkv = ["talk.p1", "talk.p2", "talk.p3"]
        #expect {
            try self.plan(l)
        } throws: { error in
            guard case let MappingError.ambiguousStructure(_, roles, lines) = error else { return false }
            return roles.count == 3 && roles.allSatisfy { $0.contains("attn.q, attn.k or attn.v") }
                && lines.contains { $0.contains("\"tower.{i}.talk.p1\": \"blocks.{i}.attn.q\"") }
        }
        let ordered = try plan(l, sorted: false, registrationOrder: true)
        #expect(source(ordered, "blocks.0.attn.qkv.weight") == ["tower.0.talk.p1.weight", "tower.0.talk.p2.weight", "tower.0.talk.p3.weight"])
        #expect(ordered.report.notes.contains { $0.contains("registration order") })

        let map = try MapFile(text: #"{"tensors": {"tower.{i}.talk.p3": "blocks.{i}.attn.q", "tower.{i}.talk.p1": "blocks.{i}.attn.k", "tower.{i}.talk.p2": "blocks.{i}.attn.v"}}"#,
                              file: "map.json")
        let pinned = try plan(l, options: mapped(map, "map.json"))
        #expect(source(pinned, "blocks.2.attn.qkv.weight") == ["tower.2.talk.p3.weight", "tower.2.talk.p1.weight", "tower.2.talk.p2.weight"])
    }

    @Test("blocks that differ in shape are refused naming the container and the difference")
    func inconsistentBlocks() throws {
        var infos = Layout().infos()
        let i = try #require(infos.firstIndex { $0.name == "tower.2.think.grow.weight" })
        infos[i] = TensorInfo(name: infos[i].name, dtype: .f32, shape: [48, 16])
        #expect {
            try ViTMapper.plan(infos, context: SourceContext(file: "m.pth"), options: MappingOptions(heads: 2))
        } throws: { error in
            guard case let MappingError.inconsistentBlocks(file, container, differences) = error else { return false }
            return file == "m.pth" && container == "tower" && differences.contains { $0.contains("think.grow") }
        }
    }

    @Test("mapping files: every malformed one is refused naming the file and the entry", arguments: [
        ("[1, 2]", nil as String?, "not a JSON object"),
        (#"{"tensors": {}, "extra": 1}"#, "extra", "unknown key"),
        (#"{"version": 2, "tensors": {}}"#, "version", "only version 1"),
        (#"{"version": 1}"#, "tensors", "expected an object"),
        (#"{"tensors": {"a.b": "blocks.{i}.mlp.fc9"}}"#, "a.b", "not a canonical"),
        (#"{"tensors": {"a.b": {"to": "norm", "transform": "flip"}}}"#, "a.b", "transform must be"),
        (#"{"tensors": {"a.b": 3}}"#, "a.b", "expected a canonical name"),
        (#"{"patch_order": "pcp", "tensors": {}}"#, "patch_order", "cpp"),
    ])
    func badMapFiles(_ text: String, _ entry: String?, _ message: String) {
        #expect {
            _ = try MapFile(text: text, file: "my-map.json")
        } throws: { error in
            guard case let MappingError.badMapFile(file, e, m) = error else { return false }
            return file == "my-map.json" && e == entry && m.contains(message)
        }
    }

    @Test("two map entries that claim one tensor differently are refused, naming both")
    func conflictingEntries() throws {
        let map = try MapFile(text: #"{"tensors": {"tower.{i}.n_talk": "blocks.{i}.norm1", "tower.{*}.n_talk": "blocks.{i}.norm2"}}"#, file: "m.json")
        #expect {
            try self.plan(Layout(), options: mapped(map, "m.json"))
        } throws: { error in
            guard case let MappingError.badMapFile(_, entry, message) = error else { return false }
            return (entry ?? "").contains("tower.{i}.n_talk") && (entry ?? "").contains("tower.{*}.n_talk") && message.contains("differently")
        }
    }
}
