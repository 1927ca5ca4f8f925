import Foundation
import ViTCLI
import ViTMapping
import ViTModel
import ViTPlot
import ViTTensor

/// `vit-summary MODEL --plot pos-embed|patch-filters OUT.png [--plot-data OUT.json|.npy]`: figures from the weights alone.
enum SummaryPlots {
    static let kinds = ["pos-embed", "patch-filters"]

    static func run(kind: String, output: String, data: String?, checkpoint: CanonicalCheckpoint, file: String) throws {
        let c = checkpoint.config
        let grid = [c.imageSize[0] / c.patchSize[0], c.imageSize[1] / c.patchSize[1]]
        let name = (file as NSString).lastPathComponent
        switch kind {
        case "pos-embed":
            guard let pe = checkpoint.tensors["pos_embed"] else {
                throw PlotError.notApplicable(file: file, message: "the model has no learned position embedding (pos_embed)")
            }
            let d = pe.shape.last ?? 0, p = grid[0] * grid[1]
            let all = pe.floats()
            let prefix = all.count / d - p
            guard prefix >= 0 else {
                throw PlotError.notApplicable(file: file, message: "pos_embed \(pe.shape) has fewer rows than the \(grid[0])x\(grid[1]) patches")
            }
            let sim = PlotData.positionSimilarity(Array(all[(prefix * d)...]), positions: p, dim: d)
            try Figures.positionEmbedding(sim, grid: grid, title: "Position embedding similarity — \(name)", to: output)
            try data.map { try PlotDataFile(figure: kind, arrays: [("similarity", [grid[0], grid[1], grid[0], grid[1]], sim)],
                                            extra: ["grid": grid, "prefix_positions": prefix]).write(to: $0) }
        case "patch-filters":
            guard let w = checkpoint.tensors["patch_embed.proj.weight"], w.shape.count == 4 else {
                throw PlotError.notApplicable(file: file, message: "the model has no convolutional patch embedding [D, C, ph, pw]")
            }
            let n = w.shape[0], l = w.shape[1] * w.shape[2] * w.shape[3]
            let (comps, explained) = PlotData.principalComponents(w.floats(), filters: n, length: l, count: min(28, n, l))
            try Figures.patchFilters(comps, explained: explained, channels: w.shape[1], patch: [w.shape[2], w.shape[3]],
                                     title: "Patch-embedding filters — \(name)", to: output)
            try data.map { try PlotDataFile(figure: kind, arrays: [("components", [comps.count, w.shape[1], w.shape[2], w.shape[3]], comps.flatMap { $0 })],
                                            extra: ["explained_variance_ratio": explained]).write(to: $0) }
        default:
            throw PlotError.notApplicable(file: output, message: "vit-summary --plot \(kind): expected \(kinds.joined(separator: " or ")) "
                                          + "(attention figures come from vit-run)")
        }
        printError("wrote \(output)" + (data.map { " and \($0)" } ?? ""))
    }
}
