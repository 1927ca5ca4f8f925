import ViTTensor

/// The patch flattening order of a Linear patch embedding, which the weights cannot show.
public enum PatchOrder: String, Sendable, Equatable, CaseIterable {
    /// (C, p, p): `nn.Unfold` and `Conv2d` order (PyTorch's own).
    case cpp
    /// (p, p, C): einops `rearrange(... -> b (h w) (p1 p2 c))`.
    case ppc
}

/// A mapping file (`--map FILE`): source-name patterns → canonical names, for what the structure cannot place.
///
/// JSON, schema version 1:
/// ```json
/// {
///   "version": 1,
///   "tensors": {
///     "encoder.{i}.ln_a": "blocks.{i}.norm1",
///     "encoder.{i}.ln_b": "blocks.{i}.norm2",
///     "stem.w": {"to": "patch_embed.proj.weight"},
///     "mlp.{i}.up": {"to": "blocks.{i}.mlp.fc1", "transform": "transpose"},
///     "aux_head": "drop"
///   },
///   "patch_order": "cpp"
/// }
/// ```
/// A key is a tensor name or a module path (then `.weight` and `.bias`, or `in_proj_weight`/`in_proj_bias`, follow
/// it); `{i}` stands for the block index, `{*}` for any text. A value is a canonical (timm) tensor or module name
/// (`blocks.{i}.attn.q`, `.k`, `.v` are fused into qkv), `"drop"`, or an object with `to` and a `transform`:
/// `transpose` (a 2-D weight stored (in, out)) or `tokens` (a (T, D) table that gains the batch axis).
public struct MapFile: Sendable, Equatable {
    /// What a matched tensor becomes.
    enum Target: Sendable, Equatable {
        case part(Part, layout: StoredLayout)
        case drop
    }

    struct Entry: Sendable, Equatable {
        let source: String
        let target: String
        let transform: String?
    }

    let entries: [Entry]
    /// The patch order the file states, if any.
    public let patchOrder: PatchOrder?

    /// Parses a mapping file's text.
    /// - Parameters:
    ///   - text: the JSON text.
    ///   - file: the mapping file's path, for messages.
    /// - Throws: `MappingError.badMapFile` naming the entry and what is wrong with it.
    public init(text: String, file: String) throws {
        guard let root = JSONValue.parse(text), case let .object(o) = root else {
            throw MappingError.badMapFile(file: file, entry: nil, message: "not a JSON object")
        }
        for key in o.keys where !["version", "tensors", "patch_order"].contains(key) {
            throw MappingError.badMapFile(file: file, entry: key, message: "unknown key (expected version, tensors, patch_order)")
        }
        if let v = o["version"], v.int != 1 {
            throw MappingError.badMapFile(file: file, entry: "version", message: "only version 1 exists")
        }
        if let p = o["patch_order"] {
            guard let s = p.string, let order = PatchOrder(rawValue: s) else {
                throw MappingError.badMapFile(file: file, entry: "patch_order", message: "expected \"cpp\" or \"ppc\"")
            }
            patchOrder = order
        } else { patchOrder = nil }
        guard case let .object(tensors)? = o["tensors"] else {
            throw MappingError.badMapFile(file: file, entry: "tensors", message: "expected an object of pattern → canonical name")
        }
        var entries: [Entry] = []
        for (source, value) in tensors.sorted(by: { $0.key < $1.key }) {
            var target: String?, transform: String?
            switch value {
            case let .string(s): target = s
            case let .object(obj):
                target = obj["to"]?.string
                transform = obj["transform"]?.string
                if obj["transform"] != nil, !["transpose", "tokens"].contains(transform ?? "") {
                    throw MappingError.badMapFile(file: file, entry: source, message: "transform must be \"transpose\" or \"tokens\"")
                }
            default: break
            }
            guard let target else {
                throw MappingError.badMapFile(file: file, entry: source, message: "expected a canonical name, \"drop\", or {\"to\": …}")
            }
            guard target == "drop" || Self.resolve(target, block: nil) != nil || Self.resolve(target + ".weight", block: nil) != nil else {
                throw MappingError.badMapFile(file: file, entry: source, message: "\(target) is not a canonical (timm) name; see docs/conventions.md")
            }
            entries.append(Entry(source: source, target: target, transform: transform))
        }
        self.entries = entries
    }

    /// The target of every tensor the file names: tensor name → (part, block) or drop.
    /// - Throws: `MappingError.badMapFile` when two entries claim one tensor differently.
    func pins(_ infos: [TensorInfo], file: String) throws -> [String: (target: Target, block: Int?)] {
        var out: [String: (target: Target, block: Int?)] = [:]
        for info in infos {
            var hits: [(Target, Int?, String)] = []
            for e in entries {
                for (suffix, param) in Self.suffixes {
                    let pattern = NamePattern(e.source + suffix)
                    guard let c = pattern.match(bytes: Array(info.name.utf8)) else { continue }
                    if e.target == "drop" { hits.append((.drop, nil, e.source)); continue }
                    let name = suffix.isEmpty ? e.target : e.target + "." + param
                    guard let part = Self.resolve(name, block: c.block) else { continue }
                    hits.append((.part(part, layout: Self.layout(e.transform)), c.block ?? Self.literalBlock(name), e.source))
                }
            }
            guard let first = hits.first else { continue }
            if hits.contains(where: { $0.0 != first.0 || $0.1 != first.1 }) {
                throw MappingError.badMapFile(file: file, entry: hits.map(\.2).joined(separator: ", "),
                                              message: "these entries claim \(info.name) differently")
            }
            out[info.name] = (first.0, first.1)
        }
        return out
    }

    private static let suffixes: [(String, String)] = [("", ""), (".weight", "weight"), (".bias", "bias"),
                                                       (".in_proj_weight", "weight"), (".in_proj_bias", "bias")]

    private static func layout(_ transform: String?) -> StoredLayout {
        switch transform {
        case "transpose": return .denseKernel
        case "tokens": return .tokenRows
        default: return .canonical
        }
    }

    /// The part a canonical name stands for (`blocks.{i}.…` with the block left to the match, or `blocks.N.…`).
    static func resolve(_ name: String, block: Int?) -> Part? {
        let normalised: String
        if name.hasPrefix("blocks.{i}.") { normalised = "blocks.-1." + name.dropFirst("blocks.{i}.".count) }
        else if let b = literalBlock(name) { normalised = "blocks.-1." + name.dropFirst("blocks.\(b).".count) }
        else { normalised = name }
        return canonicalParts[normalised]
    }

    /// N in a literal `blocks.N.…` name.
    static func literalBlock(_ name: String) -> Int? {
        let comps = name.split(separator: ".", maxSplits: 2)
        guard comps.count == 3, comps[0] == "blocks", let n = Int(comps[1]), n >= 0 else { return nil }
        return n
    }

    /// Canonical name (block parts under `blocks.-1.`) → part.
    private static let canonicalParts: [String: Part] = {
        var parts: [Part] = [.clsToken, .regToken, .distToken, .posEmbed, .ls1, .ls2]
        for p in [Param.weight, .bias] {
            parts += [.patchNormPre(p), .patchProj(p), .patchNorm(p), .normPre(p), .norm(p), .fcNorm(p), .preLogits(p),
                      .head(p), .headDist(p), .norm1(p), .qkv(p), .q(p), .k(p), .v(p), .proj(p), .norm2(p), .fc1(p), .fc2(p)]
        }
        var table: [String: Part] = [:]
        for part in parts { table[Role(part, block: part.isBlockPart ? -1 : nil).canonicalName] = part }
        return table
    }()
}
