import ViTModel
import ViTTensor

/// How well one convention's table matched a checkpoint's names (used in detection errors).
public struct ConventionCandidate: Equatable, Sendable, CustomStringConvertible {
    /// The convention.
    public let convention: Convention
    /// The table variant (e.g. `vit-pytorch 1.x`).
    public let dialect: String
    /// Source tensors whose names the table recognised.
    public let matched: Int
    /// Source tensors in the checkpoint.
    public let total: Int
    /// Tensors the convention always has that were not found (patch projection, position embedding, a block).
    public let missingAnchors: [String]

    public var description: String {
        let anchors = missingAnchors.isEmpty ? "" : "; lacks \(missingAnchors.joined(separator: ", "))"
        return "\(dialect) (\(convention.rawValue)): \(matched) of \(total) names\(anchors)"
    }
}

/// Errors of the mapping layer. Every case names the file and the tensors involved.
public enum MappingError: Error, Equatable, CustomStringConvertible, Sendable {
    /// No convention's table recognises the checkpoint; the closest candidates are listed, best first.
    case unknownConvention(file: String, candidates: [ConventionCandidate])
    /// Two conventions recognise the checkpoint equally well.
    case ambiguousConvention(file: String, candidates: [ConventionCandidate])
    /// The convention forced with `--convention` does not describe the checkpoint.
    case conventionMismatch(file: String, forced: Convention, candidate: ConventionCandidate, detected: Convention?)
    /// A Keras convention needs the HDF5 attributes (`layer_names`/`weight_names` or the `vars` group names).
    case missingKerasStructure(file: String, convention: Convention)
    /// Several source tensors claim the same canonical tensor.
    case duplicateRole(file: String, canonical: String, sources: [String])
    /// Canonical tensors the inferred config needs but the checkpoint lacks (all of them, canonical names).
    case missingTensors(file: String, names: [String])
    /// Source tensors no canonical tensor uses (all of them); pass `allowUnused` to drop them.
    case unusedTensors(file: String, names: [String])
    /// A canonical tensor's shape after its transform differs from what the config needs.
    case shapeMismatch(file: String, tensor: String, sources: [String], expected: [Int], found: [Int])
    /// A source tensor does not have the rank its role has in this convention.
    case unexpectedShape(file: String, tensor: String, expected: String, found: [Int])
    /// A weight is stored with a non-floating-point dtype.
    case notFloatingPoint(file: String, tensor: String, dtype: DType)
    /// The number of heads is in no metadata or weight and head dim 64 does not divide the attention width.
    case cannotInferHeads(file: String, attnDim: Int)
    /// The `heads` option contradicts the heads found in metadata or weights.
    case headsConflict(file: String, option: Int, found: Int, source: String)
    /// The patch-token count is not a square and no metadata gives the image size.
    case cannotInferGrid(file: String, patchTokens: Int)
    /// A Linear patch embedding's input length does not factor into channels × patch × patch.
    case cannotInferPatch(file: String, tensor: String, length: Int, channels: Int?)
    /// Metadata says one thing, the weights another.
    case metadataMismatch(file: String, key: String, metadata: String, weights: String)
    /// Metadata that cannot be read (bad JSON, wrong types).
    case badMetadata(file: String, key: String, message: String)
    /// The model uses an activation the canonical model cannot express.
    case unsupportedActivation(file: String, key: String, value: String)
    /// The inferred config is inconsistent.
    case invalidConfig(file: String, error: ViTConfigError)
    /// A tensor read while materialising differs from the header the plan was made from.
    case sourceChanged(file: String, tensor: String, expected: String, found: String)
    /// A transform received tensors that do not fit it.
    case transformInput(tensor: String, transform: String, found: [[Int]])
    /// Structural reading: the numbered blocks differ from one another.
    case inconsistentBlocks(file: String, container: String, differences: [String])
    /// Structural reading: a part of the model is not what a ViT has there.
    case structureNotRecognised(file: String, part: String, expected: String, found: [String])
    /// Structural reading: several roles fit; `roles` says which units could be which, `mapLines` settle it.
    case ambiguousStructure(file: String, roles: [String], mapLines: [String])
    /// Structural reading placed some tensors but not all.
    case structureIncomplete(file: String, placed: [String], unplaced: [String], mapLines: [String])
    /// A mapping file (`--map`) that cannot be used.
    case badMapFile(file: String, entry: String?, message: String)
    /// A model family the canonical model cannot run (RoPE, relative position bias, NaFlex), named with the tensor
    /// (or config key) that shows it and why: refused rather than run wrongly.
    case unsupportedFamily(file: String, family: String, tensor: String, reason: String)

    public var description: String {
        func list(_ names: [String]) -> String { names.map { "  \($0)" }.joined(separator: "\n") }
        switch self {
        case let .unknownConvention(f, c):
            return "\(f): no known naming convention matches these tensor names. Closest:\n"
                + list(c.map(\.description)) + "\nforce one with --convention NAME to see what is missing"
        case let .ambiguousConvention(f, c):
            return "\(f): several conventions match equally well:\n" + list(c.map(\.description))
                + "\nchoose one with --convention NAME"
        case let .conventionMismatch(f, forced, c, d):
            let det = d.map { "; the names look like \($0.rawValue)" } ?? ""
            return "\(f): the tensor names do not follow the \(forced.rawValue) convention: \(c)\(det)"
        case let .missingKerasStructure(f, c):
            return "\(f): the \(c.rawValue) convention needs the Keras HDF5 attributes, which this source does not have"
        case let .duplicateRole(f, n, s):
            return "\(f): several tensors map to \(n): \(s.joined(separator: ", "))"
        case let .missingTensors(f, n):
            return "\(f): \(n.count) tensor(s) the model needs are missing:\n" + list(n)
        case let .unusedTensors(f, n):
            return "\(f): \(n.count) tensor(s) have no place in the canonical layout:\n" + list(n)
                + "\npass --allow-unused to drop them"
        case let .shapeMismatch(f, t, s, e, found):
            return "\(f): \(t) (from \(s.joined(separator: ", "))) should be \(Shape.describe(e)), found \(Shape.describe(found))"
        case let .unexpectedShape(f, t, e, found):
            return "\(f): \(t) should be \(e), found \(Shape.describe(found))"
        case let .notFloatingPoint(f, t, d):
            return "\(f): \(t) is \(d.rawValue); weights must be floating point"
        case let .cannotInferHeads(f, a):
            return "\(f): the number of attention heads is not recorded and head dim 64 does not divide the attention width \(a); pass --heads N"
        case let .headsConflict(f, o, found, s):
            return "\(f): --heads \(o) contradicts \(found) heads from \(s)"
        case let .cannotInferGrid(f, n):
            return "\(f): \(n) patch tokens do not form a square grid and no metadata gives the image size; pass --source-image-size HxW"
        case let .cannotInferPatch(f, t, n, c):
            let cs = c.map { " with \($0) channels" } ?? ""
            return "\(f): \(t) takes patches of \(n) values, which is not channels × P × P\(cs); pass --channels and --source-image-size"
        case let .metadataMismatch(f, k, m, w):
            return "\(f): metadata \(k) = \(m) but the weights say \(w)"
        case let .badMetadata(f, k, m):
            return "\(f): cannot read metadata \(k): \(m)"
        case let .unsupportedActivation(f, k, v):
            return "\(f): \(k) = \(v) is not supported (the canonical model has exact GELU in its MLP and tanh in a pooler)"
        case let .invalidConfig(f, e):
            return "\(f): inferred an inconsistent \(e)"
        case let .sourceChanged(f, t, e, found):
            return "\(f): \(t) was \(e) when planned but is \(found) now"
        case let .inconsistentBlocks(f, c, d):
            return "\(f): the numbered blocks under \(c) are not alike:\n" + list(d)
                + "\nevery transformer block must hold the same layers; pass --map FILE to place the tensors by name"
        case let .structureNotRecognised(f, part, e, found):
            return "\(f): \(part): expected \(e), found:\n" + (found.isEmpty ? "  (nothing)" : list(found))
                + "\nlist the tensors with vit-summary FILE --tensors and place them with --map FILE (docs/conventions.md)"
        case let .ambiguousStructure(f, roles, lines):
            return "\(f): the weights cannot tell these roles apart:\n" + list(roles)
                + "\nsettle it with a mapping file (--map FILE) holding, under \"tensors\", lines such as:\n" + list(lines)
        case let .structureIncomplete(f, placed, unplaced, lines):
            return "\(f): \(unplaced.count) tensor(s) have no place in a ViT read by structure:\n" + list(unplaced)
                + "\nplaced (\(placed.count)):\n" + list(placed)
                + "\nplace the rest with a mapping file (--map FILE; --suggest-map OUT writes one to fill in):\n" + list(lines)
                + "\nor pass --allow-unused to drop them"
        case let .badMapFile(f, entry, m):
            return "\(f): " + (entry.map { "entry \($0): " } ?? "") + m + " (schema: docs/conventions.md, \"Mapping files\")"
        case let .unsupportedFamily(f, family, t, reason):
            return "\(f): \(family) is not supported: \(t) shows \(reason). ViTKit refuses it rather than run it wrongly."
        case let .transformInput(t, tr, found):
            return "\(t): \(tr) cannot take inputs of shape " + found.map { Shape.describe($0) }.joined(separator: ", ")
        }
    }
}
