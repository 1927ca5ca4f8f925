import Foundation
import ViTCLI
import ViTMapping
import ViTPlot
import ViTRuntime
import ViTTensor

/// vit-run's attention figures: `--attention OUT.png` (rollout and the last block's class-token attention per
/// head, for the first image) and `--plot attention-distance OUT.png` (every image), with `--plot-data`.
enum RunPlots {
    static func attention(_ vit: VisionTransformer, images: Tensor, checkpoint: CanonicalCheckpoint, model: String,
                          output: String, data: String?) throws {
        let c = checkpoint.config
        guard c.classToken else {
            throw PlotError.notApplicable(file: output, message: "the model has no class token (global pool \(c.globalPool.rawValue)): "
                + "attention rollout and class-token maps read the class token's row; --plot attention-distance works for any model")
        }
        let first = try firstImage(images)
        let layers = try vit.attentionProbabilities(first).map { $0.floats() }
        let t = vit.prefixTokens + vit.patchGrid[0] * vit.patchGrid[1], heads = c.numHeads, prefix = vit.prefixTokens
        let rollout = PlotData.rollout(layers, heads: heads, tokens: t, prefix: prefix)
        let last = layers[layers.count - 1]
        let perHead = (0..<heads).map { h in Array(last[(h * t * t + prefix)..<(h * t * t + t)]) }
        let (rgb, w, h) = displayable(first)
        try Figures.attention(image: rgb, width: w, height: h, rollout: rollout, heads: perHead, grid: vit.patchGrid,
                              title: "Attention — \((model as NSString).lastPathComponent)", to: output)
        let g = vit.patchGrid
        try data.map { try PlotDataFile(figure: "attention", arrays: [("rollout", g, rollout), ("last_block_class_attention", [heads] + g, perHead.flatMap { $0 })],
                                        extra: ["prefix_tokens": prefix]).write(to: $0) }
        if images.shape[0] > 1 { printError("note: --attention shows the first image of \(images.shape[0])") }
        printError("wrote \(output)" + (data.map { " and \($0)" } ?? ""))
    }

    static func attentionDistance(_ vit: VisionTransformer, images: Tensor, checkpoint: CanonicalCheckpoint, model: String,
                                  output: String, data: String?) throws {
        let c = checkpoint.config
        let layers = try vit.attentionProbabilities(images).map { $0.floats() }
        let t = vit.prefixTokens + vit.patchGrid[0] * vit.patchGrid[1]
        let d = PlotData.meanAttentionDistance(layers, batch: images.shape[0], heads: c.numHeads, tokens: t, prefix: vit.prefixTokens,
                                               grid: vit.patchGrid, patch: c.patchSize)
        try Figures.attentionDistance(d, imageSize: max(c.imageSize[0], c.imageSize[1]),
                                      title: "Mean attention distance — \((model as NSString).lastPathComponent)", to: output)
        try data.map { try PlotDataFile(figure: "attention-distance", arrays: [("mean_distance_pixels", [d.count, c.numHeads], d.flatMap { $0 })],
                                        extra: ["images": images.shape[0]]).write(to: $0) }
        printError("wrote \(output)" + (data.map { " and \($0)" } ?? ""))
    }

    static func firstImage(_ images: Tensor) throws -> Tensor {
        let s = images.shape, n = s[1] * s[2] * s[3]
        return try Tensor(shape: [1, s[1], s[2], s[3]], float32: Array(images.floats().prefix(n)))
    }

    /// The image as the model sees it, each channel min–max scaled to 0...255 (works for .npy batches too).
    static func displayable(_ image: Tensor) -> ([UInt8], Int, Int) {
        let s = image.shape, c = s[1], h = s[2], w = s[3], v = image.floats()
        var out = [UInt8](repeating: 0, count: h * w * 3)
        for ch in 0..<3 {
            let plane = Array(v[(min(ch, c - 1) * h * w)..<((min(ch, c - 1) + 1) * h * w)])
            let lo = plane.min() ?? 0, hi = plane.max() ?? 1
            for i in 0..<(h * w) { out[i * 3 + ch] = UInt8(max(0, min(255, ((plane[i] - lo) / max(hi - lo, 1e-12) * 255).rounded()))) }
        }
        return (out, w, h)
    }
}
