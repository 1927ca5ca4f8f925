import ViTTensor

/// What a unit is inside a transformer block.
enum BlockRole: String, Sendable, CaseIterable {
    case norm1, norm2, qkv, q, k, v, proj, fc1, fc2

    /// The canonical part for this role's weight or bias.
    func part(_ p: Param) -> Part {
        switch self {
        case .norm1: return .norm1(p)
        case .norm2: return .norm2(p)
        case .qkv: return .qkv(p)
        case .q: return .q(p)
        case .k: return .k(p)
        case .v: return .v(p)
        case .proj: return .proj(p)
        case .fc1: return .fc1(p)
        case .fc2: return .fc2(p)
        }
    }

    /// The canonical module path, with `{i}` for the block (as a `--map` line names it).
    var canonicalModule: String {
        switch self {
        case .norm1: return "blocks.{i}.norm1"
        case .norm2: return "blocks.{i}.norm2"
        case .qkv: return "blocks.{i}.attn.qkv"
        case .q: return "blocks.{i}.attn.q"
        case .k: return "blocks.{i}.attn.k"
        case .v: return "blocks.{i}.attn.v"
        case .proj: return "blocks.{i}.attn.proj"
        case .fc1: return "blocks.{i}.mlp.fc1"
        case .fc2: return "blocks.{i}.mlp.fc2"
        }
    }

    /// The role a canonical part (weight or bias) is, if it is a block role.
    init?(_ part: Part) {
        switch part {
        case .norm1: self = .norm1
        case .norm2: self = .norm2
        case .qkv: self = .qkv
        case .q: self = .q
        case .k: self = .k
        case .v: self = .v
        case .proj: self = .proj
        case .fc1: self = .fc1
        case .fc2: self = .fc2
        default: return nil
        }
    }

    var isAttention: Bool { [.qkv, .q, .k, .v, .proj].contains(self) }
    var isMLP: Bool { self == .fc1 || self == .fc2 }
}

/// Reads the roles of a block's units from their shapes, then from how the block groups them:
/// - the attention is `nn.MultiheadAttention` (`in_proj_weight` + `out_proj`), or a fused (3·A, D) Linear and an
///   (A → D) projection, or three (D → A) Linears named q/k/v (query/key/value) and the projection;
/// - the MLP is the D → H Linear and the H → D Linear;
/// - the two LayerNorms of width D are the pre-attention and pre-MLP norms: the one inside the attention's module
///   (or the MLP's) belongs to it; else the one named after attention (`attn`, `before`) or the MLP (`mlp`, `ff`,
///   `after`); else the lower numeric suffix (`norm_0`, `norm1`, `ln_1`) comes first; else the registration order,
///   when the container keeps it (torch.save).
/// When several readings remain, the block is refused with the roles that could not be told apart.
struct BlockRoleReader {
    let layout: BlockLayout
    let file: String
    /// Whether the source lists tensors in the order the model registered them.
    let registrationOrder: Bool
    /// Roles fixed by a mapping file, by inner path.
    let pinned: [String: BlockRole]

    /// One consistent reading: inner path → role.
    typealias Reading = [String: BlockRole]

    /// Reads block 0 (all blocks are alike) and returns inner path → role for every unit it places.
    /// - Throws: `MappingError.ambiguousStructure` or `.structureNotRecognised` naming the block's units.
    func read() throws -> (roles: Reading, width: Int, notes: [String]) {
        var notes: [String] = []
        let units: [(inner: String, unit: ModuleUnit)] = layout.innerPaths.compactMap { inner in
            layout.template(inner).map { (inner: inner, unit: $0) }
        }
        let norms = units.filter { if case .norm = $0.unit.kind { return true }; return false }
        let widths = Set(norms.compactMap { n -> Int? in if case let .norm(w) = n.unit.kind { return w }; return nil })
        let packed = units.filter { if case .packedInProj = $0.unit.kind { return true }; return false }
        guard let width = widths.count == 1 ? widths.first : packed.first.flatMap({ u -> Int? in
            if case let .packedInProj(e) = u.unit.kind { return e }; return nil }) else {
            throw MappingError.structureNotRecognised(
                file: file, part: "block \(layout.prefix(0))",
                expected: "two LayerNorms of one width D (the pre-attention and pre-MLP norms)",
                found: norms.map { "\(layout.prefix(0))\($0.inner) \(Shape.describe($0.unit.weight.shape))" })
        }
        var readings = try attentionAndMLP(units, width: width, notes: &notes)
        readings = try normsOf(norms.map(\.inner), readings: readings, notes: &notes)
        guard readings.count == 1, let reading = readings.first else {
            throw ambiguity(readings, what: "the attention and MLP Linears of a block")
        }
        return (reading, width, notes)
    }

    // MARK: attention and MLP

    private func attentionAndMLP(_ units: [(inner: String, unit: ModuleUnit)], width d: Int,
                                 notes: inout [String]) throws -> [Reading] {
        var linears: [(String, Int, Int)] = units.compactMap {
            if case let .linear(out, inp) = $0.unit.kind { return ($0.inner, out, inp) }; return nil
        }
        var fixed: Reading = [:]
        if let mha = units.first(where: { if case .packedInProj = $0.unit.kind { return true }; return false }) {
            let outProj = mha.inner + ".out_proj"
            guard linears.contains(where: { $0.0 == outProj }) else {
                throw MappingError.structureNotRecognised(file: file, part: "\(layout.prefix(0))\(mha.inner)",
                                                          expected: "nn.MultiheadAttention's out_proj Linear beside in_proj_weight",
                                                          found: linears.map { "\(layout.prefix(0))\($0.0)" })
            }
            fixed[mha.inner] = .qkv
            fixed[outProj] = .proj
            linears.removeAll { $0.0 == outProj }
        }
        var candidates: [Reading] = []
        func addMLP(_ base: Reading, _ rest: [(String, Int, Int)]) {
            guard rest.count == 2 else { return }
            for (a, b) in [(rest[0], rest[1]), (rest[1], rest[0])] where a.2 == d && b.1 == d && a.1 == b.2 {
                var r = base
                r[a.0] = .fc1
                r[b.0] = .fc2
                candidates.append(r)
            }
        }
        if !fixed.isEmpty {
            addMLP(fixed, linears)
        } else {
            // Fused qkv (3A, D) + projection (A → D).
            for qkv in linears where qkv.2 == d && qkv.1 % 3 == 0 {
                for proj in linears where proj.0 != qkv.0 && proj.1 == d && proj.2 == qkv.1 / 3 {
                    addMLP([qkv.0: .qkv, proj.0: .proj], linears.filter { $0.0 != qkv.0 && $0.0 != proj.0 })
                }
            }
            // Separate q, k, v (D → A each), told apart by their names, + projection.
            if linears.count == 6, let qkv = try separateQKV(linears, width: d, notes: &notes) {
                let a = linears.first { $0.0 == qkv.q }?.1 ?? -1
                if [qkv.k, qkv.v].allSatisfy({ n in linears.first { $0.0 == n }?.1 == a }) {
                    let taken: Set<String> = [qkv.q, qkv.k, qkv.v]
                    for proj in linears where !taken.contains(proj.0) && proj.1 == d && proj.2 == a {
                        addMLP([qkv.q: .q, qkv.k: .k, qkv.v: .v, proj.0: .proj],
                               linears.filter { !taken.contains($0.0) && $0.0 != proj.0 })
                    }
                }
            }
        }
        guard !candidates.isEmpty else {
            throw MappingError.structureNotRecognised(
                file: file, part: "block \(layout.prefix(0))",
                expected: "an attention (nn.MultiheadAttention, a fused (3·A, \(d)) Linear with an (A → \(d)) projection, or "
                    + "q/k/v Linears with a projection) and an MLP (\(d) → H, H → \(d)) among its Linears",
                found: units.compactMap { u in
                    if case let .linear(out, inp) = u.unit.kind { return "\(layout.prefix(0))\(u.inner) (\(inp) → \(out))" }
                    return nil
                })
        }
        return narrow(candidates, notes: &notes, steps: [
            ("pinned by the mapping file", { r in pinned.allSatisfy { r[$0.key] == nil || r[$0.key] == $0.value } ? 1 : 0 }),
            ("module grouping", groupingScore),
            ("module names", nameScore),
            ("numeric suffixes", { r in orderScore(r, by: { layout.template($0)?.leafNumber }) }),
            ("registration order", { r in registrationOrder ? orderScore(r, by: { layout.template($0)?.order }, pairs: [(.fc1, .fc2)]) : 0 }),
        ])
    }

    /// q, k and v among Linears whose last path component says which is which (`q`, `query`, `to_q`, `w_q`,
    /// `q_proj`, `wq` …); nil unless each of the three is named exactly once.
    private func namedQKV(_ linears: [(String, Int, Int)]) -> (q: String, k: String, v: String)? {
        func named(_ letter: String, _ word: String) -> String? {
            let keys: Set<String> = [letter, word, "w" + letter, "to" + letter]
            let hits = linears.filter { !ModuleUnit.words(of: lastComponent($0.0)).isDisjoint(with: keys) }
            return hits.count == 1 ? hits[0].0 : nil
        }
        guard let q = named("q", "query"), let k = named("k", "key"), let v = named("v", "value"),
              Set([q, k, v]).count == 3 else { return nil }
        return (q, k, v)
    }

    /// The separate q, k, v Linears: by their names, else (torch.save) by registration order, q then k then v as
    /// every implementation registers them; three same-shaped candidates the names cannot tell are refused.
    private func separateQKV(_ linears: [(String, Int, Int)], width d: Int,
                             notes: inout [String]) throws -> (q: String, k: String, v: String)? {
        let fromD = linears.filter { $0.2 == d }
        if let named = namedQKV(fromD) { return named }
        // Three (D → A) Linears of one shape beside an (A → D) projection, as attention has them.
        let byOut = Dictionary(grouping: fromD, by: \.1)
        guard let triple = byOut.values.first(where: { $0.count == 3 }),
              linears.contains(where: { $0.1 == d && $0.2 == triple[0].1 }) else { return nil }
        let paths = triple.map(\.0)
        let pinnedQKV = paths.compactMap { p in pinned[p].map { (p, $0) } }
        if pinnedQKV.count == 3, let q = pinnedQKV.first(where: { $0.1 == .q }), let k = pinnedQKV.first(where: { $0.1 == .k }),
           let v = pinnedQKV.first(where: { $0.1 == .v }) {
            return (q.0, k.0, v.0)
        }
        if registrationOrder {
            let ordered = paths.sorted { (layout.template($0)?.order ?? 0) < (layout.template($1)?.order ?? 0) }
            notes.append("query, key, value Linears told apart by registration order (q, k, v): " + ordered.map { layout.prefix(0) + $0 }.joined(separator: ", "))
            return (ordered[0], ordered[1], ordered[2])
        }
        let pattern = layout.mapPattern
        throw MappingError.ambiguousStructure(
            file: file, roles: paths.sorted().map { "\(layout.prefix(0))\($0): attn.q, attn.k or attn.v (same shape; the names do not say)" },
            mapLines: zip(paths.sorted(), ["q", "k", "v"]).map { "\"\(pattern)\($0.0)\": \"\(layout.singlePrefix == nil ? "blocks.{i}" : "blocks.0").attn.\($0.1)\"   (check which is which)" })
    }

    private func lastComponent(_ path: String) -> String { String(path.split(separator: ".").last ?? Substring(path)) }

    // MARK: norms

    private func normsOf(_ norms: [String], readings: [Reading], notes: inout [String]) throws -> [Reading] {
        guard norms.count == 2 else {
            throw MappingError.structureNotRecognised(
                file: file, part: "block \(layout.prefix(0))",
                expected: "two LayerNorms of width D (pre-attention, pre-MLP)",
                found: norms.map { "\(layout.prefix(0))\($0)" })
        }
        var out: [Reading] = []
        for r in readings {
            for (a, b) in [(norms[0], norms[1]), (norms[1], norms[0])] {
                var x = r
                x[a] = .norm1
                x[b] = .norm2
                out.append(x)
            }
        }
        return narrow(out, notes: &notes, steps: [
            ("pinned by the mapping file", { r in pinned.allSatisfy { r[$0.key] == nil || r[$0.key] == $0.value } ? 1 : 0 }),
            ("module grouping", groupingScore),
            ("the names of the modules they feed", affinityScore),
            ("module names", nameScore),
            ("numeric suffixes or ordinal words", { r in orderScore(r, by: { layout.template($0)?.leafNumber ?? ordinalWord($0) }) }),
            ("registration order", { r in registrationOrder ? interleavingScore(r) : 0 }),
        ])
    }

    // MARK: narrowing

    /// Keeps the readings that score best at each step, stopping as soon as one is left; records the step that
    /// decided (for the notes) when it was a weak one (names or order).
    private func narrow(_ readings: [Reading], notes: inout [String], steps: [(String, (Reading) -> Int)]) -> [Reading] {
        var rs = readings
        for (name, score) in steps where rs.count > 1 {
            let scores = rs.map(score)
            guard let best = scores.max(), scores.contains(where: { $0 != best }) else { continue }
            let before = rs
            rs = zip(rs, scores).filter { $0.1 == best }.map(\.0)
            if rs.count == 1, name.hasPrefix("numeric suffixes") || name == "registration order" || name == "module names" {
                let differing = rs[0].filter { kv in before.contains { $0[kv.key] != kv.value } }
                notes.append("block roles told apart by \(name): " + describe(differing))
            }
        }
        return rs
    }

    /// +1 for each unit whose enclosing module holds only members of its own group (attention or MLP).
    private func groupingScore(_ r: Reading) -> Int {
        var attnParents = Set<String>(), mlpParents = Set<String>()
        for (inner, role) in r {
            let parent = parentPath(inner)
            if role.isAttention { attnParents.insert(parent) }
            if role.isMLP { mlpParents.insert(parent) }
        }
        var score = 0
        for (inner, role) in r {
            let parent = parentPath(inner)
            let group: Set<String>, other: Set<String>
            switch role {
            case .norm1: (group, other) = (attnParents, mlpParents)
            case .norm2: (group, other) = (mlpParents, attnParents)
            default: (group, other) = role.isAttention ? (attnParents, mlpParents) : (mlpParents, attnParents)
            }
            // A member (or a norm) scores when its module belongs to its own group and not to the other one;
            // a module holding an attention member as a child (`MHA.norm` beside `MHA.to_qkv`) counts as that group.
            let mine = group.contains(parent) || group.contains { $0.hasPrefix(parent + ".") && !parent.isEmpty }
            let theirs = other.contains(parent)
            if mine && !theirs { score += 1 }
            if theirs && !mine { score -= 1 }
        }
        return score
    }

    private static let attentionWords: Set<String> = ["attn", "attention", "attend", "mha", "msa", "qkv", "query", "key", "value",
                                                      "before", "sa", "selfattn", "selfattention", "inproj", "outproj",
                                                      "heads", "toheads", "fromheads", "mix", "mixer"]
    private static let mlpWords: Set<String> = ["mlp", "ff", "ffn", "feedforward", "feed", "forward", "after", "fc", "intermediate",
                                                "hidden", "dense", "expand", "contract", "widen", "narrow", "up", "down", "gate"]

    /// +1 for each unit whose path has a word of its own group, −1 for a word of the other group.
    private func nameScore(_ r: Reading) -> Int {
        var score = 0
        for (inner, role) in r {
            let words = ModuleUnit.words(of: inner)
            let attn = !words.isDisjoint(with: Self.attentionWords), mlp = !words.isDisjoint(with: Self.mlpWords)
            let isAttn = role.isAttention || role == .norm1
            if attn != mlp { score += (attn == isAttn) ? 1 : -1 }
        }
        return score
    }

    /// +1 when fc1 comes before fc2, and norm1 before norm2, by `key` (when both have one and they differ).
    private func orderScore(_ r: Reading, by key: (String) -> Int?,
                            pairs: [(BlockRole, BlockRole)] = [(.fc1, .fc2), (.norm1, .norm2)]) -> Int {
        var score = 0
        for (first, second) in pairs {
            guard let a = r.first(where: { $0.value == first })?.key, let b = r.first(where: { $0.value == second })?.key,
                  let ka = key(a), let kb = key(b), ka != kb else { continue }
            score += ka < kb ? 1 : -1
        }
        return score
    }

    /// The first inner component of the attention's and the MLP's units (`talk`, `mixer`, `FeedForward`), whose
    /// name a norm that feeds them often repeats (`n_talk`, `pre_mix`, `ffn_norm`).
    private func moduleWords(_ r: Reading, attention: Bool) -> Set<String> {
        var words = Set<String>()
        for (inner, role) in r where (attention ? role.isAttention : role.isMLP) {
            let components = inner.split(separator: ".")
            // The enclosing module's name when there is one, else the layer's own.
            let name = components.count > 1 ? components[0] : components[components.count - 1]
            words.formUnion(ModuleUnit.words(of: String(name)).filter { $0.count >= 3 })
        }
        return words
    }

    /// +1 for each norm whose name shares a word (or a 3-letter prefix of one) with the modules of its own group
    /// and none with the other's.
    private func affinityScore(_ r: Reading) -> Int {
        let attn = moduleWords(r, attention: true), mlp = moduleWords(r, attention: false)
        func hits(_ words: Set<String>, _ targets: Set<String>) -> Bool {
            words.contains { w in w.count >= 3 && targets.contains { $0.hasPrefix(w) || w.hasPrefix($0) } }
        }
        var score = 0
        for (inner, role) in r where role == .norm1 || role == .norm2 {
            let words = ModuleUnit.words(of: String(inner.split(separator: ".").last ?? Substring(inner)))
            let a = hits(words, attn), m = hits(words, mlp)
            guard a != m else { continue }
            score += (a == (role == .norm1)) ? 1 : -1
        }
        return score
    }

    /// The rank an ordinal word in a leaf gives (`ln_one`, `norm_first` → 1; `ln_two`, `ln_mid` → 2).
    private func ordinalWord(_ inner: String) -> Int? {
        let words = ModuleUnit.words(of: String(inner.split(separator: ".").last ?? Substring(inner)))
        if !words.isDisjoint(with: ["one", "first", "in", "input", "start"]) { return 1 }
        if !words.isDisjoint(with: ["two", "second", "mid", "middle"]) { return 2 }
        return nil
    }

    /// +1 for each norm registered right before a unit of its own group (the next registered unit that is not a
    /// norm): `n_talk`, `talk`, `n_think`, `think` pairs each norm with what it feeds. Both norms registered before
    /// the attention tell nothing.
    private func interleavingScore(_ r: Reading) -> Int {
        let ordered = layout.innerPaths.compactMap { p in layout.template(p).map { (p, $0.order) } }.sorted { $0.1 < $1.1 }
        var score = 0
        for (inner, role) in r where role == .norm1 || role == .norm2 {
            guard let i = ordered.firstIndex(where: { $0.0 == inner }),
                  let next = ordered[(i + 1)...].first(where: { r[$0.0] != .norm1 && r[$0.0] != .norm2 }),
                  let nextRole = r[next.0] else { continue }
            score += (nextRole.isAttention == (role == .norm1)) ? 1 : -1
        }
        return score
    }

    private func parentPath(_ inner: String) -> String {
        guard let dot = inner.lastIndex(of: ".") else { return "" }
        return String(inner[..<dot])
    }

    private func describe(_ r: Reading) -> String {
        r.sorted { $0.key < $1.key }.map { "\(layout.prefix(0))\($0.key) → \($0.value.canonicalModule)" }.joined(separator: ", ")
    }

    /// The refusal for readings that could not be told apart, with the `--map` lines of the first one.
    private func ambiguity(_ readings: [Reading], what: String) -> MappingError {
        let differing = Set(readings.flatMap { r in r.filter { kv in readings.contains { $0[kv.key] != kv.value } }.map(\.key) }).sorted()
        let options = differing.map { inner in
            "\(layout.prefix(0))\(inner): " + Set(readings.compactMap { $0[inner] }).map(\.rawValue).sorted().joined(separator: " or ")
        }
        let pattern = layout.mapPattern
        let lines = differing.compactMap { inner in readings[0][inner].map { "\"\(pattern)\(inner)\": \"\($0.canonicalModule)\"" } }
        return MappingError.ambiguousStructure(file: file, roles: options, mapLines: lines)
    }
}
