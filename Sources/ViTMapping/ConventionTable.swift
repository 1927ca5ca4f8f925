import ViTModel
import ViTTensor

/// One table row: a whole-name pattern, the part it names, and how that part is stored in this convention.
struct Rule: Sendable {
    let pattern: NamePattern
    let part: Part
    let layout: StoredLayout
    /// The tensor holds this block part for every block along a leading depth axis (a scanned JAX model):
    /// block `i` is slice `i`, stored in `layout`. The pattern has no `{i}`.
    let stacked: Bool

    init(_ pattern: String, _ part: Part, _ layout: StoredLayout = .canonical, stacked: Bool = false) {
        self.pattern = NamePattern(pattern)
        self.part = part
        self.layout = layout
        self.stacked = stacked
    }

    /// The deepest stack a stacked row binds (far beyond any real model; bounds the work a hostile header causes).
    static let maxStackDepth = 10_000

    /// The `.weight` and `.bias` rows of a PyTorch layer.
    static func layer(_ stem: String, _ make: (Param) -> Part, _ layout: StoredLayout = .canonical) -> [Rule] {
        [Rule(stem + ".weight", make(.weight), layout), Rule(stem + ".bias", make(.bias), layout)]
    }
}

/// A layer kind inside a `Sequential` container, placed by its position among the container's entries.
enum Layer: Sendable {
    /// A LayerNorm at the start of a classifier container: it normalises the pooled feature (`fc_norm`).
    case headNorm
    case norm, preLogits, head, norm2, fc1, fc2
    /// Patch containers after an einops `Rearrange(... -> (p1 p2 c))`: LayerNorm, Linear, LayerNorm.
    case patchNormPre, patchProj, patchNorm

    func part(_ p: Param) -> Part {
        switch self {
        case .patchNormPre: return .patchNormPre(p)
        case .patchProj: return .patchProj(p)
        case .patchNorm: return .patchNorm(p)
        case .norm: return .norm(p)
        case .headNorm: return .fcNorm(p)
        case .preLogits: return .preLogits(p)
        case .head: return .head(p)
        case .norm2: return .norm2(p)
        case .fc1: return .fc1(p)
        case .fc2: return .fc2(p)
        }
    }

    /// How this layer's parameter is stored (patch layers see (row, column, channel)-flattened patches).
    func layout(_ p: Param) -> StoredLayout {
        switch (self, p) {
        case (.patchNormPre, _): return .patchNormRowColChannel
        case (.patchProj, .weight): return .patchLinearRowColChannel
        default: return .canonical
        }
    }
}

/// A PyTorch `nn.Sequential` whose parametrised entries (`<container>.{k}.weight/.bias`) get their roles from
/// their order: parameter-free entries (GELU, Dropout) take indices but no names, so `net.0/1/3` and
/// `net.0/1/4` are the same three layers. `layouts[n]` lists the roles of a container with `n` entries.
struct SequentialRule: Sendable {
    let weight: NamePattern
    let bias: NamePattern
    let layouts: [Int: [Layer]]

    init(_ container: String, _ layouts: [Int: [Layer]]) {
        weight = NamePattern(container + ".{k}.weight")
        bias = NamePattern(container + ".{k}.bias")
        self.layouts = layouts
    }
}

/// How the pooling and the final norms follow from the tensors present.
enum PoolingRule: Sendable {
    /// timm: `avg` without a class token or when `fc_norm` exists (timm turns fc_norm on for avg pooling).
    case timm
    /// The class token when there is one, else the mean of the patch tokens.
    case classTokenElseMean
}

/// Defaults a convention implies that the weights cannot show.
struct Traits: Sendable {
    /// LayerNorm epsilon when no metadata gives it.
    let eps: Double
    /// Where that default comes from (for the report).
    let epsReason: String
    /// Activation after a pre-logits Linear.
    let preLogitsActivation: ViTConfig.PreLogitsActivation
    let pooling: PoolingRule
    /// Whether pos_embed may cover the patches only (timm `no_embed_class`).
    let allowsNoEmbedClass: Bool
    /// The MLP activation when no metadata or option gives it, and why (nil reason: not worth a note).
    var activation: ViTConfig.Activation = .gelu
    var activationReason: String? = nil
    /// How the source library interpolates the position embedding at run time, without and with registers.
    var posEmbedRule: ViTConfig.PosEmbedRule = .bicubicAntialias
    var posEmbedRuleWithRegisters: ViTConfig.PosEmbedRule = .bicubicAntialias
    /// The family and library, when the convention alone tells it.
    var family: String? = nil
}

/// Where a dialect reads the names its table matches.
enum NameSource: Sendable {
    /// The tensor names as stored.
    case tensorNames
    /// Keras legacy weight names from `layer_names`/`weight_names`, `:0` removed, `/` joins written as `_`.
    case kerasLegacyWeightNames
    /// Keras 3: names built from the `name` attributes of the enclosing `vars` groups and the variable's index.
    case keras3LogicalNames
    /// JAX `.npz` paths below the prefix timm's `_load_weights` detects (`opt/target/`, `params/`, `params/img/`).
    case jaxPaths
}

/// One table variant of a convention (e.g. vit-pytorch 1.x and 0.35 are two dialects of `vit-pytorch`).
struct Dialect: Sendable {
    let convention: Convention
    let name: String
    let names: NameSource
    let rules: [Rule]
    let sequentials: [SequentialRule]
    /// Names one of which the checkpoint must have for this table to apply (empty: none needed), where another
    /// convention's table would match the same names.
    var tellTales: [String] = []
    let traits: Traits
}

/// A source tensor as a table saw it.
struct SourceTensor: Sendable, Equatable {
    /// Name and header facts as stored.
    let info: TensorInfo
    /// The name the table matched (after unwrapping or Keras naming).
    let matchName: String
    let layout: StoredLayout
    /// For a stacked tensor (scanned JAX models), the block's index on the leading depth axis.
    var slice: Int? = nil

    /// The shape the role's layout describes: as stored, or without the depth axis for a stacked tensor.
    var shape: [Int] { slice == nil ? info.shape : Array(info.shape.dropFirst()) }
}

/// The result of running one dialect's table over a checkpoint's names.
struct Assignment: Sendable {
    let dialect: Dialect
    /// Role → its sources (one, except duplicates, which `validate` turns into errors).
    var bindings: [Role: [SourceTensor]] = [:]
    /// Names no row matched, in checkpoint order.
    var unmatched: [TensorInfo] = []
    /// Names matched as a part with no canonical equivalent, with the reason.
    var noEquivalent: [(TensorInfo, String)] = []
    /// Names matched as outside the image model (text tower, decoder), with the reason: dropped with a note.
    var dropped: [(TensorInfo, String)] = []
    /// Every name a row matched (for the tell-tale check).
    var matchedNames: [String] = []

    /// Source tensors the table recognised (a stacked tensor counts once, not once per block).
    var matchedCount: Int { bindings.values.reduce(0) { $0 + $1.filter { ($0.slice ?? 0) == 0 }.count } + noEquivalent.count + dropped.count }

    /// The tensors a convention always has: a patch projection, a position embedding, one attention weight.
    var missingAnchors: [String] {
        var out: [String] = []
        if bindings[Role(.patchProj(.weight))] == nil { out.append("patch_embed.proj.weight") }
        if bindings[Role(.posEmbed)] == nil { out.append("pos_embed") }
        let hasAttention = bindings.keys.contains { r in
            if case .qkv(.weight) = r.part { return true }
            if case .q(.weight) = r.part { return true }
            return false
        }
        if !hasAttention { out.append("blocks.*.attn.qkv.weight") }
        if !dialect.tellTales.isEmpty {
            let patterns = dialect.tellTales.map(NamePattern.init)
            if !matchedNames.contains(where: { n in patterns.contains { $0.match(bytes: Array(n.utf8)) != nil } }) {
                out.append(dialect.tellTales.joined(separator: " or "))
            }
        }
        return out
    }

    func candidate(total: Int) -> ConventionCandidate {
        ConventionCandidate(convention: dialect.convention, dialect: dialect.name, matched: matchedCount,
                            total: total, missingAnchors: missingAnchors)
    }
}

extension Dialect {
    /// Runs this table over `entries` (match name + stored info, in checkpoint order).
    func assign(_ entries: [(String, TensorInfo)]) -> Assignment {
        var a = Assignment(dialect: self)
        var leftovers: [(String, TensorInfo)] = []
        for (name, info) in entries {
            // A block part takes its block from the name's `{i}`, or from the depth axis of a stacked row.
            guard let (rule, captures) = firstRule(matching: Array(name.utf8)),
                  rule.stacked ? rule.part.isBlockPart && captures.block == nil : rule.part.isBlockPart == (captures.block != nil) else {
                leftovers.append((name, info))
                continue
            }
            if rule.stacked {
                // One binding per block along the leading axis. A rank-0 or empty tensor binds block 0, so that
                // binding reports it; an absurd depth is left unmatched (reported unused).
                let depth = info.elementCount > 0 ? info.shape.first ?? 1 : 1
                guard depth <= Rule.maxStackDepth else {
                    leftovers.append((name, info))
                    continue
                }
                for i in 0..<depth {
                    a.bindings[Role(rule.part, block: i), default: []].append(
                        SourceTensor(info: info, matchName: name, layout: rule.layout, slice: i))
                }
                continue
            }
            let source = SourceTensor(info: info, matchName: name, layout: rule.layout)
            a.matchedNames.append(name)
            if case let .noEquivalent(reason) = rule.part {
                a.noEquivalent.append((info, reason))
            } else if case let .dropped(reason) = rule.part {
                a.dropped.append((info, reason))
            } else {
                a.bindings[Role(rule.part, block: captures.block), default: []].append(source)
            }
        }
        // Sequential containers: group the leftovers by container, then place entries by position.
        struct Entry { let k: Int; let param: Param; let name: String; let info: TensorInfo; let block: Int? }
        var groups: [String: (rule: Int, entries: [Entry])] = [:]
        var groupOrder: [String] = []
        var stillLeft: [(String, TensorInfo)] = []
        for (name, info) in leftovers {
            var placed = false
            let bytes = Array(name.utf8)
            for (ri, rule) in sequentials.enumerated() {
                let hit: (NamePattern.Captures, Param)? = rule.weight.match(bytes: bytes).map { ($0, .weight) }
                    ?? rule.bias.match(bytes: bytes).map { ($0, .bias) }
                guard let (c, param) = hit, let k = c.entry else { continue }
                let container = String(name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
                    .dropLast(2).map { String(decoding: $0, as: UTF8.self) }.joined(separator: "."))
                let key = "\(ri)|\(container)"
                if groups[key] == nil { groups[key] = (ri, []); groupOrder.append(key) }
                groups[key]?.entries.append(Entry(k: k, param: param, name: name, info: info, block: c.block))
                placed = true
                break
            }
            if !placed { stillLeft.append((name, info)) }
        }
        for key in groupOrder {
            guard let g = groups[key] else { continue }
            let ks = Array(Set(g.entries.map(\.k))).sorted()
            guard let layers = sequentials[g.rule].layouts[ks.count] else {
                stillLeft += g.entries.map { ($0.name, $0.info) }
                continue
            }
            for e in g.entries {
                guard let pos = ks.firstIndex(of: e.k) else { continue }
                let part = layers[pos].part(e.param)
                guard part.isBlockPart == (e.block != nil) else { stillLeft.append((e.name, e.info)); continue }
                a.bindings[Role(part, block: e.block), default: []].append(
                    SourceTensor(info: e.info, matchName: e.name, layout: layers[pos].layout(e.param)))
            }
        }
        let order = Dictionary(entries.enumerated().map { ($1.1.name, $0) }, uniquingKeysWith: { a, _ in a })
        a.unmatched = stillLeft.map(\.1).sorted { (order[$0.name] ?? 0) < (order[$1.name] ?? 0) }
        return a
    }

    private func firstRule(matching name: [UInt8]) -> (Rule, NamePattern.Captures)? {
        for r in rules { if let c = r.pattern.match(bytes: name) { return (r, c) } }
        return nil
    }
}
