import ViTModel
import ViTTensor

/// Maps checkpoints of any supported convention onto the canonical timm layout.
///
/// Planning reads headers only (names, dtypes, shapes, metadata), so a summary never loads weights;
/// materialising builds one canonical tensor at a time, so a conversion's peak memory stays near the
/// largest tensor.
public enum ViTMapper {
    /// The metadata key under which ViTKit's writers embed the `ViTConfig` JSON (safetensors `__metadata__`,
    /// HDF5 root attribute); a checkpoint carrying it maps with that config verbatim.
    public static let embeddedConfigKey = "vitkit_config"

    /// Detects the naming convention of a checkpoint from its tensor names.
    /// - Parameters:
    ///   - infos: the tensor headers.
    ///   - context: the file name, metadata and Keras names.
    /// - Returns: the convention whose table recognises the names best.
    /// - Throws: `MappingError.unknownConvention` (listing the closest candidates) or `.ambiguousConvention`.
    public static func detect(_ infos: [TensorInfo], context: SourceContext) throws -> Convention {
        try select(infos, context: context, forced: nil).assignment.dialect.convention
    }

    /// Plans the mapping of a checkpoint onto the canonical layout and infers its config, from headers only.
    /// - Parameters:
    ///   - infos: the tensor headers, in the container's order.
    ///   - context: the file name, metadata, shipped config.json and Keras names.
    ///   - options: a forced convention, heads, image size, eps, and whether unused tensors may be dropped.
    /// - Returns: the config, the plan (every canonical tensor with its sources and transform) and a report.
    /// - Throws: `MappingError` naming the file and every tensor involved: detection failures, duplicate or
    ///   missing tensors (all of them), shape mismatches, unused tensors (all of them, unless `allowUnused`),
    ///   and values neither the file nor the options give.
    public static func plan(_ infos: [TensorInfo], context: SourceContext, options: MappingOptions = MappingOptions()) throws -> MappingResult {
        let file = context.file
        try UnsupportedFamilies.check(infos, context: context)
        let facts = try MetadataFacts.read(context)
        let selection = try select(infos, context: context, forced: options.convention, options: options)
        let bound = try BoundModel(selection.assignment, file: file)
        let inferred = try ConfigInference.infer(bound, facts: facts, options: options)
        let config = inferred.config

        var byName: [String: Role] = [:]
        for role in bound.roles.keys { byName[role.canonicalName] = role }
        let incomplete = Dictionary(bound.incompleteFusions.map { (String($0.prefix { $0 != " " }), $0) }, uniquingKeysWith: { a, _ in a })

        var entries: [PlannedTensor] = []
        var missing: [String] = []
        var mismatch: MappingError?
        var used = Set<String>()
        for ct in config.canonicalTensors {
            guard let role = byName[ct.name], let sources = bound.roles[role] else {
                missing.append(incomplete[ct.name] ?? ct.name)
                continue
            }
            let infosOfRole = sources.map(\.info)
            for i in infosOfRole where !i.dtype.isFloatingPoint {
                throw MappingError.notFloatingPoint(file: file, tensor: i.name, dtype: i.dtype)
            }
            guard let transform = try bound.transform(role, patch: inferred.patch) else {
                missing.append(ct.name)
                continue
            }
            let out = transform.outputShape(infosOfRole.map(\.shape))
            if out != ct.shape {
                if mismatch == nil {
                    mismatch = .shapeMismatch(file: file, tensor: ct.name, sources: infosOfRole.map(\.name),
                                              expected: ct.shape, found: out ?? infosOfRole[0].shape)
                }
                continue
            }
            used.formUnion(infosOfRole.map(\.name))
            entries.append(PlannedTensor(canonicalName: ct.name, shape: ct.shape, dtype: widest(infosOfRole.map(\.dtype)),
                                         sourceInfos: infosOfRole, transform: transform))
        }
        if !missing.isEmpty { throw MappingError.missingTensors(file: file, names: missing) }
        if let mismatch { throw mismatch }

        var notes = selection.notes + inferred.notes
        // An empty class token (vit-pytorch `pool='mean'`) is understood, not unused.
        if let cls = bound.sources(.clsToken)?.first, cls.info.elementCount == 0 { used.insert(cls.info.name) }
        // Tensors outside the image model (a text tower, an MAE decoder, a mask token) are dropped by name.
        var droppedBy: [String: Int] = [:], elementsBy: [String: Int] = [:]
        var reasons: [String] = []
        for (info, reason) in bound.dropped {
            used.insert(info.name)
            if droppedBy[reason] == nil { reasons.append(reason) }
            droppedBy[reason, default: 0] += 1
            elementsBy[reason, default: 0] += info.elementCount
        }
        for r in reasons {
            // A mask token is a parameter of the source model (DINOv2, iBOT) that inference never reads.
            let count = r.hasPrefix("mask token")
                ? "; its \(elementsBy[r] ?? 0) parameters are not counted here (the source library's own count includes them)" : ""
            notes.append("dropped \(droppedBy[r] ?? 0) tensor(s): \(r)\(count)")
        }
        let unused = infos.map(\.name).filter { !used.contains($0) }
        if !unused.isEmpty {
            if !options.allowUnused { throw MappingError.unusedTensors(file: file, names: unused.map { describeUnused($0, bound) }) }
            notes.append("dropped \(unused.count) tensor(s) with no canonical place: " + unused.map { describeUnused($0, bound) }.joined(separator: "; "))
        }
        let report = InferenceReport(convention: bound.dialect.convention, dialect: bound.dialect.name,
                                     detected: options.convention == nil, headsSource: inferred.headsSource,
                                     configSource: inferred.configSource, notes: notes)
        return MappingResult(config: config, plan: MappingPlan(file: file, entries: entries, unused: unused), report: report)
    }

    /// The name of an unused tensor, with the reason when the convention knows it has no canonical equivalent.
    private static func describeUnused(_ name: String, _ bound: BoundModel) -> String {
        if let (_, reason) = bound.noEquivalent.first(where: { $0.0.name == name }) { return "\(name) (\(reason))" }
        return name
    }

    /// The dtype that holds every source exactly: the common dtype, else F64 if any, else F32.
    static func widest(_ dtypes: [DType]) -> DType {
        let set = Set(dtypes)
        if set.count == 1, let d = set.first { return d }
        return set.contains(.f64) ? .f64 : .f32
    }

    // MARK: detection

    struct Selection {
        let assignment: Assignment
        let notes: [String]
    }

    /// Runs every candidate table and keeps the best one whose anchors (patch projection, position
    /// embedding, attention) are all present.
    static func select(_ infos: [TensorInfo], context: SourceContext, forced: Convention?,
                       options: MappingOptions = MappingOptions()) throws -> Selection {
        let file = context.file
        if forced == .structural || options.mapFile != nil {
            guard let (a, notes) = try StructuralReader.read(infos, context: context, options: options) else {
                throw MappingError.structureNotRecognised(file: file, part: "the tensor names", expected: "a numbered block container (layers.N, blocks.N, …)", found: [])
            }
            return Selection(assignment: a, notes: notes + (forced == .structural ? ["convention structure forced"] : []))
        }
        if let forced, forced.isKeras, context.keras == nil {
            throw MappingError.missingKerasStructure(file: file, convention: forced)
        }
        var runs: [(Assignment, [String])] = []
        for d in Dialect.all {
            guard let (entries, notes) = matchEntries(d, infos, context) else { continue }
            runs.append((d.assign(entries), notes))
        }
        let total = infos.count
        // Best first; equal counts keep the table order (a stable, deterministic ranking).
        let ranked = runs.enumerated().sorted { ($0.element.0.matchedCount, -$0.offset) > ($1.element.0.matchedCount, -$1.offset) }
            .map(\.element)
        let viable = ranked.filter { $0.0.missingAnchors.isEmpty }
        if let forced {
            let mine = ranked.filter { $0.0.dialect.convention == forced }
            if let best = mine.first(where: { $0.0.missingAnchors.isEmpty }) {
                return Selection(assignment: best.0, notes: best.1 + ["convention \(forced.rawValue) forced (\(best.0.dialect.name))"])
            }
            let candidate = mine.first?.0.candidate(total: total)
                ?? ConventionCandidate(convention: forced, dialect: forced.rawValue, matched: 0, total: total, missingAnchors: [])
            throw MappingError.conventionMismatch(file: file, forced: forced, candidate: candidate,
                                                  detected: viable.first?.0.dialect.convention)
        }
        guard let best = viable.first else {
            // No table fits: read the model by its structure, if it has numbered blocks at all.
            if let (a, notes) = try StructuralReader.read(infos, context: context, options: options) {
                return Selection(assignment: a, notes: notes)
            }
            throw MappingError.unknownConvention(file: file, candidates: ranked.prefix(3).map { $0.0.candidate(total: total) })
        }
        // A hand-written table that leaves tensors unplaced: the structure may place them all.
        if best.0.dialect.traits.pooling == .classTokenElseMean, !best.0.unmatched.isEmpty, !options.allowUnused,
           [.torchMHA, .einops].contains(best.0.dialect.convention),
           let (a, notes) = try? StructuralReader.read(infos, context: context, options: options), a.unmatched.isEmpty {
            return Selection(assignment: a, notes: notes + ["the \(best.0.dialect.name) table left \(best.0.unmatched.count) tensor(s) unplaced"])
        }
        let ties = viable.filter { $0.0.matchedCount == best.0.matchedCount && $0.0.dialect.convention != best.0.dialect.convention }
        if !ties.isEmpty {
            throw MappingError.ambiguousConvention(file: file, candidates: ([best] + ties).map { $0.0.candidate(total: total) })
        }
        return Selection(assignment: best.0, notes: best.1 + ["convention detected: \(best.0.dialect.name)"])
    }

    /// The names a dialect's table matches, with the stored infos; nil when the source cannot have them
    /// (Keras names without Keras attributes).
    static func matchEntries(_ d: Dialect, _ infos: [TensorInfo], _ context: SourceContext) -> ([(String, TensorInfo)], [String])? {
        switch d.names {
        case .tensorNames:
            // A model wrapped in `DataParallel` or a `model` attribute prefixes every name.
            for wrapper in ["module.", "model."] where !infos.isEmpty && infos.allSatisfy({ $0.name.hasPrefix(wrapper) }) {
                return (infos.map { (String($0.name.dropFirst(wrapper.count)), $0) }, ["every name starts with '\(wrapper)'; the prefix is ignored"])
            }
            return (infos.map { ($0.name, $0) }, [])
        case .jaxPaths:
            return JAXPrefix.entries(infos)
        case .kerasLegacyWeightNames, .keras3LogicalNames:
            let layout: KerasNames.Layout = d.names == .kerasLegacyWeightNames ? .legacy : .keras3
            guard let keras = context.keras, keras.layout == layout else { return nil }
            let byTensor = Dictionary(keras.weights.map { ($0.tensor, $0.name) }, uniquingKeysWith: { a, _ in a })
            let infoByName = Dictionary(infos.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            var out: [(String, TensorInfo)] = []
            for w in keras.weights { if let i = infoByName[w.tensor] { out.append((KerasNames.matchName(w.name), i)) } }
            for i in infos where byTensor[i.name] == nil { out.append((i.name, i)) }
            return (out, [])
        }
    }

    // MARK: materialising

    /// Builds one canonical tensor from its sources.
    /// - Parameters:
    ///   - entry: a plan entry.
    ///   - source: the checkpoint the plan was made from.
    /// - Returns: the canonical tensor in the entry's dtype (stored dtype kept: every transform is a pure
    ///   rearrangement). An identity entry of a memory-mapped source is a view into the file, not a copy.
    /// - Throws: the source's read errors; `MappingError.sourceChanged` when a tensor no longer matches its header.
    public static func materialize(_ entry: PlannedTensor, from source: TensorSource) throws -> Tensor {
        var inputs: [Tensor] = []
        for info in entry.sourceInfos {
            let t = try source.tensor(named: info.name)
            guard t.shape == info.shape, t.dtype == info.dtype else {
                throw MappingError.sourceChanged(file: source.path, tensor: info.name,
                                                 expected: "\(info.dtype.rawValue) \(Shape.describe(info.shape))",
                                                 found: "\(t.dtype.rawValue) \(Shape.describe(t.shape))")
            }
            inputs.append(t)
        }
        let out = try entry.transform.apply(inputs, dtype: entry.dtype, name: entry.canonicalName)
        guard out.shape == entry.shape else {
            throw MappingError.shapeMismatch(file: source.path, tensor: entry.canonicalName, sources: entry.sources,
                                             expected: entry.shape, found: out.shape)
        }
        return out
    }

    /// Plans a checkpoint from an open source (headers, metadata, config.json and Keras attributes).
    /// - Parameters:
    ///   - source: an open checkpoint.
    ///   - options: mapping options.
    /// - Throws: `MappingError` (see `plan(_:context:options:)`).
    public static func plan(_ source: TensorSource, options: MappingOptions = MappingOptions()) throws -> MappingResult {
        var context = try SourceContext(source: source)
        context.registrationOrder = source.keepsRegistrationOrder
        return try plan(source.tensorInfos, context: context, options: options)
    }

    /// Loads a whole checkpoint into the canonical layout.
    /// - Parameters:
    ///   - source: an open checkpoint.
    ///   - options: mapping options.
    /// - Returns: the config, every canonical tensor, the convention and the report.
    /// - Throws: `MappingError` and the source's read errors.
    public static func loadCanonical(_ source: TensorSource, options: MappingOptions = MappingOptions()) throws -> CanonicalCheckpoint {
        let r = try plan(source, options: options)
        var tensors: [String: Tensor] = [:]
        for e in r.plan.entries { tensors[e.canonicalName] = try materialize(e, from: source) }
        return CanonicalCheckpoint(config: r.config, tensors: tensors, order: r.plan.entries.map(\.canonicalName),
                                   convention: r.report.convention, report: r.report)
    }
}
