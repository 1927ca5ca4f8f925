import Foundation

/// What a user passes for the facts a reference checkpoint does not record, read from its case.json.
public struct CaseOptions: Sendable, Equatable {
    /// The heads, when `facts.heads_recoverable_from_metadata` is false.
    public var heads: Int?
    /// The image size, when the grid is not square and no config.json ships with the weights.
    public var imageSize: [Int]?
    /// The encoder's LayerNorm eps, when the case's modules use more than one (`facts.layer_norm_eps_by_module`)
    /// and nothing in the file records them.
    public var layerNormEps: Double?

    /// The same as command-line flags (`--heads`, `--source-image-size`, `--eps`).
    public var flags: [String] {
        var f: [String] = []
        if let heads { f += ["--heads", String(heads)] }
        if let s = imageSize { f += ["--source-image-size", "\(s[0])x\(s[1])"] }
        if let e = layerNormEps { f += ["--eps", "\(e)"] }
        return f
    }
}

/// One reference checkpoint under fixtures/conventions (made by tools/fixtures_conventions*.py): its
/// case.json, read once, and the options its facts call for.
public struct ConventionCase: Sendable, CustomStringConvertible {
    /// The case folder's name.
    public let name: String
    /// The case folder.
    public let folder: String
    /// The convention as case.json names it (`huggingface`, `keras-legacy-h5`, …).
    public let convention: String
    /// The checkpoint's files, relative to the folder.
    public let files: [String]
    /// The path to open: the `model` folder of a save_pretrained case, else the one weights file.
    public let checkpointPath: String
    /// The options the facts call for.
    public let options: CaseOptions
    /// case.json's bytes (for fields a suite reads itself).
    public let json: Data

    public var description: String { name }

    /// Every convention case (the folders of fixtures/conventions holding a case.json), sorted.
    public static let names: [String] = {
        let dir = Fixtures.path("conventions")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: "\(dir)/\($0)/case.json") }.sorted()
    }()

    private struct Raw: Decodable {
        struct Checkpoint: Decodable { let files: [String] }
        struct Facts: Decodable {
            let num_heads: Int
            let heads_recoverable_from_metadata: Bool
            let image_size: [Int]?
            let layer_norm_eps: Double?
            let layer_norm_eps_by_module: [String: Double]?
        }
        let convention: String
        let checkpoint: Checkpoint
        let facts: Facts
    }

    /// Reads fixtures/conventions/NAME/case.json.
    /// - Throws: when the file is missing or lacks `convention`, `checkpoint.files` or `facts`.
    public init(_ name: String) throws {
        self.name = name
        folder = Fixtures.path("conventions/\(name)")
        json = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/case.json"))
        let raw = try JSONDecoder().decode(Raw.self, from: json)
        convention = raw.convention
        files = raw.checkpoint.files
        // The weights file, or its folder when the checkpoint ships a config.json beside it (Hugging Face).
        let file = files.first { !$0.hasSuffix(".json") } ?? "model.safetensors"
        checkpointPath = file.contains("/") ? "\(folder)/\(file.split(separator: "/")[0])" : "\(folder)/\(file)"
        var o = CaseOptions()
        if !raw.facts.heads_recoverable_from_metadata { o.heads = raw.facts.num_heads }
        if let s = raw.facts.image_size, s.count == 2, s[0] != s[1], !files.contains(where: { $0.hasSuffix("config.json") }) {
            o.imageSize = s
        }
        if raw.facts.layer_norm_eps_by_module != nil { o.layerNormEps = raw.facts.layer_norm_eps }
        options = o
    }
}
