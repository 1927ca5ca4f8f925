import ViTModel
import ViTTensor

/// Patch size and channels, needed to turn a Linear patch embedding into a conv kernel.
struct PatchGeometry: Sendable, Equatable {
    let patch: [Int]
    let channels: Int
}

/// The roles of a checkpoint after duplicates were rejected and q/k/v were fused.
struct BoundModel: Sendable {
    let file: String
    let dialect: Dialect
    /// Role → sources (several only for a fused qkv: q, k, v in that order).
    var roles: [Role: [SourceTensor]]
    /// Canonical names whose q/k/v parts are incomplete, with the parts that are missing.
    var incompleteFusions: [String]
    /// Source tensors matched as having no canonical equivalent, with the reason.
    var noEquivalent: [(TensorInfo, String)]
    /// Source tensors outside the image model, dropped with a note (reason per tensor).
    var dropped: [(TensorInfo, String)]
    /// Source tensors no table row matched.
    var unmatched: [TensorInfo]

    /// Rejects duplicate roles and fuses per-block q, k, v into qkv.
    /// - Throws: `MappingError.duplicateRole`.
    init(_ a: Assignment, file: String) throws {
        self.file = file
        dialect = a.dialect
        noEquivalent = a.noEquivalent
        dropped = a.dropped
        unmatched = a.unmatched
        incompleteFusions = []
        for (role, sources) in a.bindings.sorted(by: { $0.key < $1.key }) where sources.count > 1 {
            throw MappingError.duplicateRole(file: file, canonical: role.canonicalName,
                                             sources: sources.map(\.info.name))
        }
        try Self.checkStackDepths(a, file: file)
        var roles = a.bindings
        let blocks = Set(roles.keys.compactMap(\.block)).sorted()
        for b in blocks {
            for p in [Param.weight, .bias] {
                let keys = [Role(.q(p), block: b), Role(.k(p), block: b), Role(.v(p), block: b)]
                let parts = keys.map { roles[$0]?.first }
                guard parts.contains(where: { $0 != nil }) else { continue }
                let fused = Role(.qkv(p), block: b)
                let name = fused.canonicalName
                if let existing = roles[fused] {
                    throw MappingError.duplicateRole(file: file, canonical: name,
                                                     sources: existing.map(\.info.name) + parts.compactMap { $0?.info.name })
                }
                let present = parts.compactMap { $0 }
                if present.count == 3 {
                    roles[fused] = present
                    for k in keys { roles[k] = nil }
                } else {
                    let lacking = zip(["query", "key", "value"], parts).filter { $0.1 == nil }.map(\.0)
                    incompleteFusions.append("\(name) (no \(lacking.joined(separator: ", ")) \(p.suffix))")
                }
            }
        }
        // A packed attention-pool in-projection: q from its first third, kv from the rest.
        for p in [Param.weight, .bias] {
            guard let packed = roles.removeValue(forKey: Role(.poolInProj(p)))?.first else { continue }
            func part(_ from: Int, _ to: Int) -> [SourceTensor] {
                [SourceTensor(info: packed.info, matchName: packed.matchName, layout: .rowParts(from: from, to: to, parts: 3))]
            }
            for (r, src) in [(Role(.poolQ(p)), part(0, 1)), (Role(.poolKV(p)), part(1, 3))] {
                if let existing = roles[r] {
                    throw MappingError.duplicateRole(file: file, canonical: r.canonicalName, sources: existing.map(\.info.name) + [packed.info.name])
                }
                roles[r] = src
            }
        }
        // Separate attention-pool key and value: one kv, key rows first (timm `_load_weights`).
        for p in [Param.weight, .bias] {
            let k = roles[Role(.poolK(p))]?.first, v = roles[Role(.poolV(p))]?.first
            guard k != nil || v != nil else { continue }
            let fused = Role(.poolKV(p))
            if let existing = roles[fused] {
                throw MappingError.duplicateRole(file: file, canonical: fused.canonicalName,
                                                 sources: existing.map(\.info.name) + [k, v].compactMap { $0?.info.name })
            }
            if let k, let v {
                roles[fused] = [k, v]
                roles[Role(.poolK(p))] = nil
                roles[Role(.poolV(p))] = nil
            } else {
                incompleteFusions.append("\(fused.canonicalName) (no \(k == nil ? "key" : "value") \(p.suffix))")
            }
        }
        // A pooler is the model's output only when nothing reads after it (no classifier).
        for p in [Param.weight, .bias] {
            guard let pooler = roles.removeValue(forKey: Role(.pooler(p))) else { continue }
            if roles[Role(.head(.weight))] != nil || roles[Role(.preLogits(p))] != nil {
                noEquivalent += pooler.map { ($0.info, "pooler: the classifier reads the class token, not the pooler") }
            } else {
                roles[Role(.preLogits(p))] = pooler
            }
        }
        self.roles = roles
    }

    /// The stacked tensors of a scanned model must each have a depth axis, all of the same length (that of the
    /// query kernel when there is one), else the blocks they describe would not line up.
    /// - Throws: `MappingError.unexpectedShape` naming the first stack (by name) without a depth axis or of
    ///   another depth.
    private static func checkStackDepths(_ a: Assignment, file: String) throws {
        var stacks: [String: TensorInfo] = [:]
        for s in a.bindings.values.joined() where s.slice != nil { stacks[s.info.name] = s.info }
        let sorted = stacks.values.sorted { $0.name < $1.name }
        for info in sorted where info.shape.isEmpty {
            throw MappingError.unexpectedShape(file: file, tensor: info.name,
                                               expected: "a stack (depth, …) of every block's parameter", found: info.shape)
        }
        guard let reference = a.bindings[Role(.q(.weight), block: 0)]?.first(where: { $0.slice != nil })?.info ?? sorted.first else { return }
        let depth = reference.shape.first ?? 0
        for info in sorted where info.shape.first != depth {
            throw MappingError.unexpectedShape(file: file, tensor: info.name,
                                               expected: "a stack of \(depth) blocks on its first axis, as \(reference.name) has", found: info.shape)
        }
    }

    func sources(_ part: Part, block: Int? = nil) -> [SourceTensor]? { roles[Role(part, block: block)] }
    func has(_ part: Part, block: Int? = nil) -> Bool { roles[Role(part, block: block)] != nil }

    /// The transform from a role's sources to its canonical tensor; nil for a patch layer while the patch
    /// geometry is still unknown.
    /// - Throws: `MappingError.unexpectedShape` when a source does not have the rank its role has.
    func transform(_ role: Role, patch: PatchGeometry?) throws -> TensorTransform? {
        guard let sources = roles[role] else { return nil }
        if sources.count == 1 { return try transform(sources[0], patch: patch) }
        var parts: [TensorTransform] = []
        for s in sources {
            guard let t = try transform(s, patch: patch) else { return nil }
            parts.append(t)
        }
        return .concatRows(parts)
    }

    /// The canonical shape of a role, when it can be known yet.
    /// - Throws: `MappingError.unexpectedShape`, or `.shapeMismatch` when fused parts do not agree.
    func canonicalShape(_ role: Role, patch: PatchGeometry?) throws -> [Int]? {
        guard let sources = roles[role], let t = try transform(role, patch: patch) else { return nil }
        guard let shape = t.outputShape(sources.map(\.info.shape)) else {
            throw MappingError.shapeMismatch(file: file, tensor: role.canonicalName,
                                             sources: sources.map(\.info.name), expected: sources[0].info.shape,
                                             found: sources.last?.info.shape ?? [])
        }
        return shape
    }

    private func transform(_ s: SourceTensor, patch: PatchGeometry?) throws -> TensorTransform? {
        guard let i = s.slice else { return try layoutTransform(s, patch: patch) }
        // (`checkStackDepths` made sure a stack has its depth axis.)
        return try layoutTransform(s, patch: patch).map { .slice(index: i, then: $0) }
    }

    /// The transform of one block's part as its layout stores it (for a stacked tensor, of its slice).
    private func layoutTransform(_ s: SourceTensor, patch: PatchGeometry?) throws -> TensorTransform? {
        let shape = s.shape
        func bad(_ expected: String) -> MappingError {
            .unexpectedShape(file: file, tensor: s.info.name,
                             expected: s.slice == nil ? expected : "a stack (depth, …) of \(expected)", found: s.info.shape)
        }
        switch s.layout {
        case .canonical:
            return .identity
        case .tokenRows:
            guard shape.count == 2 else { throw bad("2-D (tokens, D)") }
            return .reshape(to: [1] + shape)
        case .denseKernel:
            switch shape.count {
            case 2: return .transpose2D
            case 3: return .jaxQKVKernel(heads: shape[1], headDim: shape[2])
            default: throw bad("a kernel (in, out) or (D, heads, head_dim)")
            }
        case .denseOutKernel:
            switch shape.count {
            case 2: return .transpose2D
            case 3: return .jaxOutKernel(heads: shape[0], headDim: shape[1])
            default: throw bad("a kernel (in, out) or (heads, head_dim, D)")
            }
        case .denseBias:
            switch shape.count {
            case 1: return .identity
            case 2: return .reshape(to: [shape[0] * shape[1]])
            default: throw bad("a bias (out,) or (heads, head_dim)")
            }
        case .convHWIO:
            guard shape.count == 4 else { throw bad("a conv kernel (P, P, C, D)") }
            return .hwioToOihw
        case .patchLinearRowColChannel:
            guard shape.count == 2 else { throw bad("a Linear weight (D, P·P·C)") }
            return patch.map { .patchLinearToConv(patch: $0.patch, channels: $0.channels) }
        case .patchNormRowColChannel:
            guard shape.count == 1 else { throw bad("a LayerNorm parameter (P·P·C,)") }
            return patch.map { .patchNormToCHW(patch: $0.patch, channels: $0.channels) }
        case .patchLinearChannelRowCol:
            guard shape.count == 2 else { throw bad("a Linear weight (D, C·P·P)") }
            return patch.map { .reshape(to: [shape[0], $0.channels, $0.patch[0], $0.patch[1]]) }
        case .patchNormChannelRowCol:
            guard shape.count == 1 else { throw bad("a LayerNorm parameter (C·P·P,)") }
            return patch.map { .reshape(to: [$0.channels, $0.patch[0], $0.patch[1]]) }
        case .vectorToken:
            guard shape.count == 1 else { throw bad("a 1-D token (D,)") }
            return .reshape(to: [1, 1] + shape)
        case let .rowParts(from, to, parts):
            guard let n = shape.first, parts > 0, n % parts == 0 else { throw bad("a packed tensor whose rows split in \(parts)") }
            return .rows(start: from * n / parts, count: (to - from) * n / parts)
        }
    }
}
