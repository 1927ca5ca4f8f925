import ViTTensor

/// Maps a hand-written PyTorch ViT by its structure (see `BlockLayout`, `BlockRoleReader`, `OuterRoleReader`):
/// names only group tensors, roles come from what the tensors are. What the weights cannot tell (the flattening
/// order of a Linear patch embedding, the MLP activation, the heads) comes from options or is assumed and said.
enum StructuralReader {
    /// The assignment of every tensor the structure (and the mapping file) places; nil when the names hold no
    /// numbered block container and no mapping file is given (then nothing here looks like a ViT).
    /// - Parameters:
    ///   - entries: names and headers in the source's order.
    ///   - context: the file, and whether the source keeps registration order.
    ///   - options: heads, patch order, the mapping file, whether unplaced tensors may be dropped.
    /// - Throws: `MappingError.structureNotRecognised`, `.ambiguousStructure` (with the `--map` lines that settle
    ///   it), `.inconsistentBlocks`, `.structureIncomplete` (what was placed, what was not, and the lines for the rest).
    static func read(_ infos: [TensorInfo], context: SourceContext, options: MappingOptions) throws -> (Assignment, [String])? {
        let file = context.file
        var notes: [String] = ["read by structure (hand-written PyTorch layout)"]
        let pins = try options.mapFile?.pins(infos, file: file) ?? [:]
        var a = Assignment(dialect: .structural)
        var dropped: [TensorInfo] = []
        let lineage = einopsLineage(infos)
        let patchOrder = options.patchOrder ?? options.mapFile?.patchOrder ?? (lineage ? .ppc : .cpp)
        // Pins the readers understand (a block or stem/head role of a layer's weight) settle ambiguities there;
        // every other pinned tensor is placed directly.
        var readerPins: [String: Part] = [:]
        for (name, pin) in pins {
            guard case let .part(part, .canonical) = pin.target, name.hasSuffix("weight"),
                  BlockRole(part) != nil || OuterRole(part) != nil else { continue }
            readerPins[name] = part
        }
        let pinnedDirect = infos.filter { pins[$0.name] != nil && readerPins[$0.name] == nil }
        for info in pinnedDirect {
            guard let (target, block) = pins[info.name] else { continue }
            switch target {
            case .drop: dropped.append(info); a.noEquivalent.append((info, "dropped by the mapping file"))
            case let .part(part, given):
                var layout = given
                if case .patchProj(.weight) = part, info.shape.count == 2, given == .canonical {
                    layout = patchOrder == .ppc ? .patchLinearRowColChannel : .patchLinearChannelRowCol
                } else if case .patchNormPre = part, given == .canonical {
                    layout = patchOrder == .ppc ? .patchNormRowColChannel : .patchNormChannelRowCol
                }
                guard part.isBlockPart == (block != nil) else {
                    throw MappingError.badMapFile(file: options.mapFileName ?? "--map", entry: info.name,
                                                  message: part.isBlockPart ? "a block part needs {i} in its pattern" : "{i} given for a part outside the blocks")
                }
                a.bindings[Role(part, block: block), default: []].append(SourceTensor(info: info, matchName: info.name, layout: layout))
            }
        }
        let rest = infos.filter { pins[$0.name] == nil || readerPins[$0.name] != nil }
        let units = ModuleUnit.group(rest)
        var placed = Set(pinnedDirect.map(\.name))
        var found = try BlockLayout.find(units, file: file)
        if found == nil { found = singleBlock(units, file: file, registrationOrder: context.registrationOrder) }
        if found == nil, options.mapFile == nil { return nil }
        if let (layout, outside) = found {
            var blockPins: [String: BlockRole] = [:]
            for (inner, u) in layout.blocks.first ?? [:] { if let p = readerPins[u.weight.name], let r = BlockRole(p) { blockPins[inner] = r } }
            var outerPins: [String: OuterRole] = [:]
            for u in outside { if let p = readerPins[u.weight.name], let r = OuterRole(p) { outerPins[u.path] = r } }
            let blockReader = BlockRoleReader(layout: layout, file: file, registrationOrder: context.registrationOrder, pinned: blockPins)
            let (blockRoles, width, blockNotes) = try blockReader.read()
            notes += blockNotes
            for (b, block) in layout.blocks.enumerated() {
                for (inner, role) in blockRoles {
                    guard let u = block[inner] else { continue }
                    bind(&a, u, part: role.part, block: b, layout: .canonical)
                    placed.formUnion(u.tensors.map(\.name))
                }
            }
            let outer = OuterRoleReader(units: outside, layout: layout, width: width, file: file,
                                        registrationOrder: context.registrationOrder, pinned: outerPins)
            let (outerRoles, outerNotes) = try outer.read()
            notes += outerNotes
            for u in outside {
                guard let role = outerRoles[u.path] else { continue }
                bind(&a, u, part: role.part, block: nil, layout: storedLayout(role, u, patchOrder))
                placed.formUnion(u.tensors.map(\.name))
            }
        }
        if let p = a.bindings[Role(.patchProj(.weight))]?.first,
           p.layout == .patchLinearChannelRowCol || p.layout == .patchLinearRowColChannel {
            notes.append(patchOrderNote(patchOrder, explicit: options.patchOrder ?? options.mapFile?.patchOrder, lineage: lineage))
        }
        let unplaced = infos.filter { !placed.contains($0.name) }
        if !unplaced.isEmpty {
            if options.allowUnused {
                // Left unmatched: the plan drops them with a note.
                a.unmatched = unplaced
            } else {
                throw MappingError.structureIncomplete(file: file, placed: describePlaced(a), unplaced: unplaced.map(\.name),
                                                       mapLines: suggestedLines(unplaced))
            }
        }
        _ = dropped
        return (a, notes)
    }

    /// A model with one unnumbered block: the biggest module whose units read as a transformer block.
    private static func singleBlock(_ units: [ModuleUnit], file: String, registrationOrder: Bool) -> (BlockLayout, outside: [ModuleUnit])? {
        for candidate in BlockLayout.singleBlockCandidates(units) {
            let reader = BlockRoleReader(layout: candidate.0, file: file, registrationOrder: registrationOrder, pinned: [:])
            if (try? reader.read()) != nil { return candidate }
        }
        return nil
    }

    private static func bind(_ a: inout Assignment, _ u: ModuleUnit, part: (Param) -> Part, block: Int?, layout: StoredLayout) {
        a.bindings[Role(part(.weight), block: block), default: []].append(SourceTensor(info: u.weight, matchName: u.weight.name, layout: layout))
        if let b = u.bias {
            let biasLayout: StoredLayout = layout == .patchNormChannelRowCol || layout == .patchNormRowColChannel ? layout : .canonical
            a.bindings[Role(part(.bias), block: block), default: []].append(SourceTensor(info: b, matchName: b.name, layout: biasLayout))
        }
    }

    /// How a unit outside the blocks is stored, by its role.
    private static func storedLayout(_ role: OuterRole, _ u: ModuleUnit, _ order: PatchOrder) -> StoredLayout {
        switch role {
        case .clsToken, .distToken, .regToken, .posEmbed:
            return u.weight.shape.count == 2 ? .tokenRows : .canonical
        case .patchProj:
            if case .linear = u.kind { return order == .ppc ? .patchLinearRowColChannel : .patchLinearChannelRowCol }
            return .canonical
        case .patchNormPre:
            return order == .ppc ? .patchNormRowColChannel : .patchNormChannelRowCol
        default:
            return .canonical
        }
    }

    /// einops-style code (`to_qkv`, `to_q`, `to_out`, `to_patch_embedding`) flattens patches as (p1 p2 c).
    static func einopsLineage(_ infos: [TensorInfo]) -> Bool {
        infos.contains { i in ["to_qkv", "to_q.", "to_out", "to_patch_embedding"].contains { i.name.contains($0) } }
    }

    private static func patchOrderNote(_ order: PatchOrder, explicit: PatchOrder?, lineage: Bool) -> String {
        if explicit != nil { return "patch flattening order \(order.rawValue) as given" }
        if order == .ppc {
            return "patch flattening order (p1 p2 c) assumed (einops-style names: rearrange to (p1 p2 c)); pass --patch-order cpp if the model flattens with nn.Unfold"
        }
        return "patch flattening order (c p1 p2) assumed (PyTorch's nn.Unfold / Conv2d order); pass --patch-order ppc if the model flattens with einops rearrange(... (p1 p2 c))"
    }

    private static func describePlaced(_ a: Assignment) -> [String] {
        a.bindings.sorted { $0.key < $1.key }.flatMap { role, sources in sources.map { "\($0.info.name) → \(role.canonicalName)" } }
    }

    /// `--map` lines for unplaced tensors: the block index replaced by `{i}`, the target left for the user.
    static func suggestedLines(_ unplaced: [TensorInfo]) -> [String] {
        var seen = Set<String>()
        var lines: [String] = []
        for info in unplaced {
            let comps = info.name.split(separator: ".", omittingEmptySubsequences: false)
            var generic = comps.map(String.init)
            if let j = comps.firstIndex(where: { Int($0) != nil }), j < comps.count - 1 { generic[j] = "{i}" }
            let key = generic.joined(separator: ".")
            if seen.insert(key).inserted {
                lines.append("\"\(key)\": \"?\"   (\(Shape.describe(info.shape)); a canonical name or \"drop\")")
            }
        }
        return lines
    }
}

extension Dialect {
    /// The dialect of a model read by structure (no table: `StructuralReader` assigns the roles).
    static let structural = Dialect(
        convention: .structural, name: "structure", names: .tensorNames, rules: [], sequentials: [],
        traits: Traits(eps: 1e-5, epsReason: "PyTorch's LayerNorm default 1e-5 (the weights cannot show it; pass --eps)",
                       preLogitsActivation: .gelu, pooling: .classTokenElseMean, allowsNoEmbedClass: false,
                       activation: .gelu, activationReason: "MLP activation: exact GELU assumed (the weights cannot show it; pass --act)"))
}
