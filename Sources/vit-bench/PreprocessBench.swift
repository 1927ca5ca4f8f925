import ArgumentParser
import Foundation
import ViTCLI
import ViTImage
import ViTPreprocess
import ViTTensor

/// `vit-bench preprocess IMAGE`: decode + timm's eval transform (ViT-B/16 at 224: shorter side to 248 bicubic,
/// centre crop 224, normalise) of one image file, as vit-run does it; `--fast` decodes the JPEG with libjpeg's DCT
/// scaling first (not Pillow-exact; its difference from the exact batch is printed).
struct PreprocessBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess", abstract: "Decode and preprocess one image file (timm ViT-B/16 eval transform).")

    @Argument(help: "A JPEG or PNG file.") var image: String
    @Option(name: .customLong("repeat"), help: "Timed repetitions after one warm-up.") var repetitions = 10
    @Option(help: "Model input size.") var size = 224
    @Option(name: .customLong("crop-pct"), help: "timm crop_pct.") var cropPct = 0.9
    @Flag(help: "Also time the DCT-scaled (not Pillow-exact) JPEG path.") var fast = false

    func run() throws {
        let scale = Int((Double(size) / cropPct).rounded(.down))
        let p = Preprocessing(resizeMode: .shorter, resizeSize: [scale, scale], interpolation: .bicubic, cropSize: [size, size],
                              cropPlacement: .torchvision, rescaleFactor: 1.0 / 255.0, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5],
                              source: "vit-bench")
        var exact: [Float] = []
        var decodeOnly: (median: Double, min: Double) = (0, 0)
        decodeOnly = try measure(times: repetitions) { _ = try ImageDecoder.decode(path: image) }
        let (med, mn) = try measure(times: repetitions) {
            let img = try ImageDecoder.decode(path: image)
            let pipe = p.pipeline(width: img.width, height: img.height)
            exact = pipe.tensorValues(pipe.geometry(img))
        }
        print(String(format: "vitkit-preprocess median_ms=%.2f min_ms=%.2f decode_median_ms=%.2f exact=pillow", med, mn, decodeOnly.median))
        guard fast else { return }
        var approx: [Float] = []
        let (fmed, fmn) = try measure(times: repetitions) {
            let storage = try ByteStorage(mapping: image)
            let full = try JPEGDecoder.size(storage.bytes, file: image)
            var denom = 8
            while denom > 1 && min(full.width, full.height) / denom < scale { denom /= 2 }
            let img = try JPEGDecoder.decode(storage.bytes, file: image, maxPixels: ImageDecoder.defaultMaxPixels, scaleDenom: denom)
            let pipe = p.pipeline(width: img.width, height: img.height)
            approx = pipe.tensorValues(pipe.geometry(img))
        }
        let diff = zip(exact, approx).map { abs($0 - $1) * 0.5 * 255 }
        let within = Double(diff.filter { $0 <= 2.0001 }.count) / Double(max(1, diff.count))
        print(String(format: "vitkit-preprocess-dct-scaled median_ms=%.2f min_ms=%.2f max_levels_from_exact=%.1f within_2_levels=%.4f",
                     fmed, fmn, diff.max() ?? 0, within))
    }
}
