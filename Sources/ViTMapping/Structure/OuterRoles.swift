import ViTTensor

/// What a unit outside the blocks is.
enum OuterRole: String, Sendable {
    case clsToken, distToken, regToken, posEmbed, patchProj, patchNormPre, patchNorm, norm, fcNorm, preLogits, head

    /// The canonical module path (as a `--map` line names it).
    var canonicalModule: String {
        switch self {
        case .clsToken: return "cls_token"
        case .distToken: return "dist_token"
        case .regToken: return "reg_token"
        case .posEmbed: return "pos_embed"
        case .patchProj: return "patch_embed.proj"
        case .patchNormPre: return "patch_embed.norm_pre"
        case .patchNorm: return "patch_embed.norm"
        case .norm: return "norm"
        case .fcNorm: return "fc_norm"
        case .preLogits: return "pre_logits.fc"
        case .head: return "head"
        }
    }

    /// The role a canonical part (weight or bias) is, if it is one outside the blocks.
    init?(_ part: Part) {
        switch part {
        case .clsToken: self = .clsToken
        case .distToken: self = .distToken
        case .regToken: self = .regToken
        case .posEmbed: self = .posEmbed
        case .patchProj: self = .patchProj
        case .patchNormPre: self = .patchNormPre
        case .patchNorm: self = .patchNorm
        case .norm: self = .norm
        case .fcNorm: self = .fcNorm
        case .preLogits: self = .preLogits
        case .head: self = .head
        default: return nil
        }
    }

    func part(_ p: Param) -> Part {
        switch self {
        case .clsToken: return .clsToken
        case .distToken: return .distToken
        case .regToken: return .regToken
        case .posEmbed: return .posEmbed
        case .patchProj: return .patchProj(p)
        case .patchNormPre: return .patchNormPre(p)
        case .patchNorm: return .patchNorm(p)
        case .norm: return .norm(p)
        case .fcNorm: return .fcNorm(p)
        case .preLogits: return .preLogits(p)
        case .head: return .head(p)
        }
    }
}

/// Reads the units outside the blocks: the class token is the (1, 1, D) parameter (or (B, 1, D) with B = 1); the
/// position embedding the (1, T, D) parameter or a (T, D) table (`nn.Embedding`); the patch embedding the conv
/// kernel (D, C, p, p) or the Linear into D that is not the classifier; the classifier a Linear, or a chain
/// LayerNorm → Linear → Linear, whose members share a module; a LayerNorm inside the classifier's module
/// normalises the pooled feature (`fc_norm`), one beside the blocks (or at the top) all tokens (`norm`).
struct OuterRoleReader {
    let units: [ModuleUnit]
    let layout: BlockLayout
    let width: Int
    let file: String
    let registrationOrder: Bool
    /// Roles fixed by a mapping file, by unit path.
    let pinned: [String: OuterRole]

    typealias Reading = [String: OuterRole]

    func read() throws -> (roles: Reading, notes: [String]) {
        var notes: [String] = []
        var roles = pinned.filter { p in units.contains { $0.path == p.key } }
        let free = units.filter { roles[$0.path] == nil }
        try tokens(free, &roles, &notes)
        try patchAndHead(free.filter { roles[$0.path] == nil }, &roles, &notes)
        try norms(free.filter { roles[$0.path] == nil }, &roles, &notes)
        return (roles, notes)
    }

    private var d: Int { width }

    // MARK: tokens

    private func tokens(_ free: [ModuleUnit], _ roles: inout Reading, _ notes: inout [String]) throws {
        let bare = free.filter { if case .parameter = $0.kind { return true }; return false }
        func shape(_ u: ModuleUnit) -> [Int] { u.weight.shape }
        let clsLike = bare.filter { shape($0) == [1, 1, d] || shape($0) == [1, d] }
        let posLike = bare.filter { s in
            let x = shape(s)
            return (x.count == 3 && x[0] == 1 && x[1] > 1 && x[2] == d) || (x.count == 2 && x[0] > 1 && x[1] == d)
        }
        if !roles.values.contains(.clsToken) {
            switch clsLike.count {
            case 0: break
            case 1: roles[clsLike[0].path] = .clsToken
            default:
                let dist = clsLike.filter { $0.words.contains("dist") || $0.words.contains("distillation") }
                guard clsLike.count == 2, dist.count == 1, let cls = clsLike.first(where: { $0.path != dist[0].path }) else {
                    throw MappingError.ambiguousStructure(file: file, roles: clsLike.map { "\($0.path): cls_token or dist_token" },
                                                          mapLines: clsLike.prefix(1).map { "\"\($0.path)\": \"cls_token\"" })
                }
                roles[cls.path] = .clsToken
                roles[dist[0].path] = .distToken
            }
        }
        if !roles.values.contains(.posEmbed) {
            if posLike.count == 1 {
                roles[posLike[0].path] = .posEmbed
            } else if posLike.count > 1 {
                let named = posLike.filter { !$0.words.isDisjoint(with: ["pos", "position", "positional"]) }
                let regs = posLike.filter { !$0.words.isDisjoint(with: ["reg", "register", "registers"]) }
                guard named.count == 1, regs.count == posLike.count - 1 else {
                    throw MappingError.ambiguousStructure(file: file, roles: posLike.map { "\($0.path): pos_embed or reg_token" },
                                                          mapLines: posLike.prefix(1).map { "\"\($0.path)\": \"pos_embed\"" })
                }
                roles[named[0].path] = .posEmbed
                for r in regs { roles[r.path] = .regToken }
            } else {
                // An nn.Embedding (T, D): a bias-free table into D.
                let tables = free.filter { u in
                    if case let .linear(_, inp) = u.kind { return inp == d && u.bias == nil }; return false
                }
                let named = tables.filter { !$0.words.isDisjoint(with: ["pos", "position", "positional"]) }
                if let t = named.count == 1 ? named[0] : (tables.count == 1 ? tables[0] : nil) {
                    roles[t.path] = .posEmbed
                    notes.append("\(t.weight.name) \(Shape.describe(t.weight.shape)) read as an nn.Embedding position table")
                }
            }
        }
    }

    // MARK: patch embedding and classifier

    private struct Arrangement { var roles: Reading }

    private func patchAndHead(_ free: [ModuleUnit], _ roles: inout Reading, _ notes: inout [String]) throws {
        let convs = free.filter { if case let .conv(out, _, _, _) = $0.kind { return out == d }; return false }
        let linears = free.filter { if case .linear = $0.kind { return true }; return false }
        func dims(_ u: ModuleUnit) -> (out: Int, in: Int) {
            if case let .linear(o, i) = u.kind { return (o, i) }; return (0, 0)
        }
        var arrangements: [Reading] = []
        let hasPatch = roles.values.contains(.patchProj)
        let patchChoices: [ModuleUnit?]
        if hasPatch { patchChoices = [nil] }
        else if convs.count == 1 { patchChoices = [convs[0]] }
        else if convs.count > 1 {
            throw MappingError.ambiguousStructure(file: file, roles: convs.map { "\($0.path): patch_embed.proj?" },
                                                  mapLines: convs.prefix(1).map { "\"\($0.path)\": \"patch_embed.proj\"" })
        } else { patchChoices = linears.filter { dims($0).out == d } }
        let headTaken = roles.values.contains(.head)
        for p in patchChoices {
            let rest = linears.filter { $0.path != p?.path }
            var base: Reading = [:]
            if let p { base[p.path] = .patchProj }
            if headTaken || rest.isEmpty { if rest.isEmpty || headTaken { arrangements.append(base) }; continue }
            if rest.count == 1, dims(rest[0]).in == d {
                var r = base; r[rest[0].path] = .head; arrangements.append(r)
            } else if rest.count == 2 {
                for (a, b) in [(rest[0], rest[1]), (rest[1], rest[0])] where dims(a).in == d && dims(b).in == dims(a).out {
                    var r = base; r[a.path] = .preLogits; r[b.path] = .head; arrangements.append(r)
                }
            }
        }
        guard !arrangements.isEmpty else {
            throw MappingError.structureNotRecognised(
                file: file, part: "the layers outside the blocks",
                expected: "a patch embedding (a conv kernel (\(d), C, p, p) or a Linear into \(d)) and a classifier "
                    + "(a Linear from \(d), or two chained Linears), or no classifier",
                found: (convs + linears).map { "\($0.path) \(Shape.describe($0.weight.shape))" })
        }
        let firstBlock = layout.blocks.first?.values.map(\.order).min() ?? 0
        let lastBlock = layout.blocks.last?.values.map(\.order).max() ?? 0
        let unitByPath = Dictionary(units.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let steps: [(String, (Reading) -> Int)] = [
            ("module grouping", { r in
                let head = r.filter { $0.value == .head || $0.value == .preLogits }.compactMap { unitByPath[$0.key]?.parent }
                let patch = r.filter { $0.value == .patchProj }.compactMap { unitByPath[$0.key]?.parent }
                var s = Set(head).count <= 1 ? 1 : 0
                if let pp = patch.first, head.contains(pp), !pp.isEmpty { s -= 1 }
                return s
            }),
            ("module names", { r in
                var s = 0
                for (path, role) in r {
                    guard let w = unitByPath[path]?.words else { continue }
                    let patchy = !w.isDisjoint(with: ["patch", "patches", "patcher", "embed", "embedding", "embeddings", "stem", "tokenizer", "projection"])
                    let heady = !w.isDisjoint(with: ["head", "classifier", "cls", "logits", "fc"])
                    if patchy != heady { s += (patchy == (role == .patchProj)) ? 1 : -1 }
                }
                return s
            }),
            ("registration order", { r in
                guard registrationOrder else { return 0 }
                var s = 0
                for (path, role) in r {
                    guard let o = unitByPath[path]?.order else { continue }
                    if role == .patchProj { s += o < firstBlock ? 1 : -1 } else { s += o > lastBlock ? 1 : -1 }
                }
                return s
            }),
        ]
        var rs = arrangements
        for (name, score) in steps where rs.count > 1 {
            let scores = rs.map(score)
            guard let best = scores.max(), scores.contains(where: { $0 != best }) else { continue }
            rs = zip(rs, scores).filter { $0.1 == best }.map(\.0)
            if rs.count == 1, name != "module grouping" {
                notes.append("patch embedding and classifier told apart by \(name)")
            }
        }
        guard rs.count == 1 else {
            let differing = Set(rs.flatMap { $0.keys }).sorted()
            throw MappingError.ambiguousStructure(
                file: file,
                roles: differing.map { p in "\(p): " + Set(rs.compactMap { $0[p] }).map(\.canonicalModule).sorted().joined(separator: " or ") },
                mapLines: rs[0].sorted { $0.key < $1.key }.map { "\"\($0.key)\": \"\($0.value.canonicalModule)\"" })
        }
        roles.merge(rs[0]) { a, _ in a }
    }

    // MARK: norms

    private func norms(_ free: [ModuleUnit], _ roles: inout Reading, _ notes: inout [String]) throws {
        let byPath = Dictionary(units.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let headParents = Set(roles.filter { $0.value == .head || $0.value == .preLogits }.compactMap { byPath[$0.key]?.parent })
        let patch = roles.first { $0.value == .patchProj }.flatMap { byPath[$0.key] }
        let encoderParent: String = {
            guard let dot = layout.container.lastIndex(of: ".") else { return "" }
            return String(layout.container[..<dot])
        }()
        var topLevel: [ModuleUnit] = []
        for u in free {
            guard case let .norm(w) = u.kind else { continue }
            if let p = patch, !p.parent.isEmpty, u.parent == p.parent, case let .linear(_, inp) = p.kind, w == inp, w != d {
                roles[u.path] = .patchNormPre
            } else if w != d {
                continue
            } else if headParents.count == 1, let hp = headParents.first, !hp.isEmpty, u.parent == hp {
                roles[u.path] = .fcNorm
            } else if let p = patch, !p.parent.isEmpty, u.parent == p.parent {
                roles[u.path] = .patchNorm
            } else if !encoderParent.isEmpty, u.parent == encoderParent, !roles.values.contains(.norm) {
                roles[u.path] = .norm
            } else {
                topLevel.append(u)
            }
        }
        for u in topLevel {
            let heady = !u.words.isDisjoint(with: ["fc", "head", "pool", "pooled"])
            if heady, !roles.values.contains(.fcNorm) {
                roles[u.path] = .fcNorm
            } else if !roles.values.contains(.norm) {
                roles[u.path] = .norm
                if roles.values.contains(.clsToken) {
                    notes.append("\(u.path) read as the final LayerNorm over all tokens (with class-token pooling this equals normalising the pooled token)")
                } else {
                    notes.append("\(u.path) assumed to normalise all tokens before the mean pooling (vit-pytorch's order; the weights cannot show it); "
                                 + "if the model normalises the pooled feature instead, map it: \"\(u.path)\": \"fc_norm\"")
                }
            } else if !roles.values.contains(.fcNorm) {
                roles[u.path] = .fcNorm
                notes.append("\(u.path) read as the norm of the pooled feature (fc_norm): the other top-level norm is the final norm")
            }
        }
    }
}
