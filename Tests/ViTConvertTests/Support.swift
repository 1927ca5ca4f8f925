import Foundation
import ViTConvert
import ViTFormats
import ViTMapping
import ViTModel
import ViTTensor
#if canImport(Glibc)
import Glibc
#endif

/// The repository's fixtures folder (three levels up from this file).
let fixturesRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("fixtures")

func fixture(_ relative: String) -> String { fixturesRoot.appendingPathComponent(relative).path }

/// A fresh empty folder under the system temporary folder.
func makeTempFolder() -> String {
    let d = NSTemporaryDirectory() + "vitkit-convert-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// The names in a folder (hidden ones too: a leftover temporary file would show here).
func folderEntries(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}

/// SHA-like fingerprint of a file's bytes and inode metadata, to show an input was not touched.
struct FileFingerprint: Equatable {
    let bytes: Data
    let inode: UInt64
    let modified: Int

    init(_ path: String) throws {
        bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        var st = stat()
        stat(path, &st)
        inode = UInt64(st.st_ino)
        modified = Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec)
    }
}

/// One reference checkpoint under fixtures/conventions (made by tools/fixtures_conventions*.py).
struct ConventionCase: Sendable, CustomStringConvertible {
    let name: String
    let convention: String
    let weights: String
    let expected: ViTConfig
    let options: MappingOptions

    var description: String { name }

    /// The case folders, every one with a case.json.
    static let names: [String] = {
        let root = fixture("conventions")
        return folderEntries(root).filter { FileManager.default.fileExists(atPath: "\(root)/\($0)/case.json") }
    }()

    private struct Raw: Decodable {
        struct Checkpoint: Decodable { let files: [String] }
        struct Facts: Decodable {
            let num_heads: Int
            let heads_recoverable_from_metadata: Bool
        }
        let convention: String
        let checkpoint: Checkpoint
        let facts: Facts
        let expected_config: ViTConfig
    }

    init(_ name: String) throws {
        let dir = fixture("conventions/\(name)")
        let raw = try JSONDecoder().decode(Raw.self, from: Data(contentsOf: URL(fileURLWithPath: "\(dir)/case.json")))
        self.name = name
        convention = raw.convention
        expected = raw.expected_config
        // The weights file, or its folder when the checkpoint ships a config.json beside it (Hugging Face).
        let file = raw.checkpoint.files.first { !$0.hasSuffix(".json") } ?? ""
        weights = file.contains("/") ? "\(dir)/\(file.split(separator: "/")[0])" : "\(dir)/\(file)"
        // What a user passes for facts the file does not record (as vit-run's users would).
        var o = MappingOptions()
        if !raw.facts.heads_recoverable_from_metadata { o.heads = raw.facts.num_heads }
        let image = raw.expected_config.imageSize
        if image[0] != image[1] && !raw.checkpoint.files.contains(where: { $0.hasSuffix("config.json") }) { o.imageSize = image }
        if name == "handwritten_mha" { o.layerNormEps = 1e-6 }  // the tutorial model sets eps 1e-6
        options = o
    }

    /// Every canonical tensor of the original checkpoint.
    func canonical() throws -> CanonicalCheckpoint {
        try ViTMapper.loadCanonical(try CheckpointOpener.open(weights), options: options)
    }
}

/// One resize case under fixtures/convert/resize (made by tools/fixtures_convert.py with timm).
struct ResizeCase: Sendable, CustomStringConvertible {
    let name: String
    let source: String
    let sourceHeads: Int
    let sourceImageSize: [Int]
    let imageSize: [Int]
    let method: ResampleMethod
    let prefixRows: Int
    let oldGrid: [Int], newGrid: [Int]
    let expected: ViTConfig

    var description: String { name }

    static let names: [String] = folderEntries(fixture("convert/resize"))

    private struct Raw: Decodable {
        let source: String
        let source_heads: Int
        let source_image_size: [Int]
        let image_size: [Int]
        let interpolation: String
        let antialias: Bool
        let align_corners: Bool
        let prefix_rows: Int
        let old_grid: [Int], new_grid: [Int]
        let expected_config: ViTConfig
    }

    init(_ name: String) throws {
        let dir = fixture("convert/resize/\(name)")
        let raw = try JSONDecoder().decode(Raw.self, from: Data(contentsOf: URL(fileURLWithPath: "\(dir)/case.json")))
        self.name = name
        source = fixture(raw.source)
        sourceHeads = raw.source_heads
        sourceImageSize = raw.source_image_size
        imageSize = raw.image_size
        method = ResampleMethod(mode: PosEmbedInterpolation(rawValue: raw.interpolation) ?? .bicubic, antialias: raw.antialias,
                                alignCorners: raw.align_corners)
        prefixRows = raw.prefix_rows
        oldGrid = raw.old_grid
        newGrid = raw.new_grid
        expected = raw.expected_config
    }

    var folder: String { fixture("convert/resize/\(name)") }

    /// The mapping options a user passes for the source (heads; the image size of a non-square source).
    var mappingOptions: MappingOptions {
        MappingOptions(heads: sourceHeads, imageSize: sourceImageSize[0] != sourceImageSize[1] ? sourceImageSize : nil)
    }
}

/// max|a − b| / max(1, max|b|): the parity measure of logits against the reference library.
func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    var diff: Float = 0, scale: Float = 1
    for (x, y) in zip(a, b) {
        diff = max(diff, abs(x - y))
        scale = max(scale, abs(y))
    }
    return diff.isNaN ? .infinity : diff / scale
}
