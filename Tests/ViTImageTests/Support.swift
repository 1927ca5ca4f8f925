import Foundation
import ViTImage
import ViTNpz
import ViTTensor

/// The repository's fixtures/images folder (three levels up from this file).
let imagesRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("fixtures/images")

func imageFixture(_ relative: String) -> String { imagesRoot.appendingPathComponent(relative).path }

/// fixtures/images/manifest.json (made by tools/fixtures_images.py).
struct ImageManifest: Decodable {
    struct Decoded: Decodable { let image: String; let truth: String; let shape: [Int]; let exif_transposed: Bool }
    struct Resized: Decodable { let image: String; let crop: [Int]?; let filter: String; let size: [Int]; let truth: String }
    struct Model: Decodable { let `case`: String; let preprocessing: String; let images: [String]; let input: String; let output: String }
    let decoded: [Decoded]
    let resized: [Resized]
    let models: [Model]

    static func load() throws -> ImageManifest {
        try JSONDecoder().decode(ImageManifest.self, from: Data(contentsOf: imagesRoot.appendingPathComponent("manifest.json")))
    }
}

/// One uint8 array of a truth archive (decoded.npz / resized.npz) as an image.
func truthImage(_ archive: NpzArchive, _ name: String) throws -> RGBImage {
    let t = try archive.tensor(named: name)
    return RGBImage(width: t.shape[1], height: t.shape[0], pixels: t.bytes)
}

/// The bytes of a file.
func fileBytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

/// Decodes bytes held in an array.
func decode(_ bytes: [UInt8], file: String, maxPixels: Int = ImageDecoder.defaultMaxPixels) throws -> RGBImage {
    try bytes.withUnsafeBytes { try ImageDecoder.decode($0, file: file, maxPixels: maxPixels) }
}
