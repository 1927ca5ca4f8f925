import Foundation
import ViTConvert
import ViTFormats
import ViTMapping
import ViTModel
import ViTTensor
#if canImport(Glibc)
import Glibc
import ViTTestSupport
#endif

func fixture(_ relative: String) -> String { Fixtures.path(relative) }

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

/// A reference checkpoint of fixtures/conventions (ViTTestSupport reads its case.json) as the mapping sees it.
extension ConventionCase {
    /// The checkpoint to open.
    var weights: String { checkpointPath }

    /// The mapping options case.json's facts call for (as vit-run's users would pass them).
    var mapping: MappingOptions {
        MappingOptions(heads: options.heads, imageSize: options.imageSize, layerNormEps: options.layerNormEps)
    }

    private struct Expected: Decodable { let expected_config: ViTConfig }

    /// case.json's `expected_config`.
    func expectedConfig() throws -> ViTConfig { try JSONDecoder().decode(Expected.self, from: json).expected_config }

    /// Every canonical tensor of the original checkpoint.
    func canonical() throws -> CanonicalCheckpoint {
        try ViTMapper.loadCanonical(try CheckpointOpener.open(weights), options: mapping)
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
