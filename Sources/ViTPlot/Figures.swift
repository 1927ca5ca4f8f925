import Foundation

/// The ViT paper's figures as PNG files (cairo): titled, with axes and a colour scale.
public enum Figures {
    /// Figure 7 (centre): for each patch position (rows × columns of small maps), its position embedding's cosine
    /// similarity with every position. `similarity` is P × P, P = grid[0] · grid[1].
    public static func positionEmbedding(_ similarity: [Float], grid: [Int], title: String, to path: String) throws {
        let gh = grid[0], gw = grid[1]
        let cell = max(1.0, min(10.0, (560.0 / Double(gw * gw)).rounded(.down)))
        let gap = max(2.0, cell)
        let mapW = Double(gw) * cell, mapH = Double(gh) * cell
        let left = 70.0, top = 60.0
        let plotW = Double(gw) * (mapW + gap), plotH = Double(gh) * (mapH + gap)
        let c = try Canvas(width: Int(left + plotW + 110), height: Int(top + plotH + 60), for: path)
        c.text(title, Double(c.width) / 2, 22, size: 15, align: 0.5, bold: true)
        c.text("cosine similarity of each position embedding with all others", Double(c.width) / 2, 42, size: 11, align: 0.5)
        for r in 0..<gh {
            for col in 0..<gw {
                let x = left + Double(col) * (mapW + gap), y = top + Double(r) * (mapH + gap)
                let p = r * gw + col
                c.heatmap(Array(similarity[(p * gh * gw)..<((p + 1) * gh * gw)]), rows: gh, columns: gw, at: x, y, cell: cell, lo: -1, hi: 1)
            }
        }
        let step = max(1, gw / 8)
        for col in stride(from: 0, to: gw, by: step) {
            c.text("\(col + 1)", left + (Double(col) + 0.5) * (mapW + gap), top + plotH + 10, size: 10, align: 0.5)
        }
        for r in stride(from: 0, to: gh, by: max(1, gh / 8)) {
            c.text("\(r + 1)", left - 8, top + (Double(r) + 0.5) * (mapH + gap), size: 10, align: 1)
        }
        c.text("Input patch column", left + plotW / 2, top + plotH + 32, size: 12, align: 0.5)
        c.text("Input patch row", left - 40, top + plotH / 2, size: 12, align: 0.5, rotate: true)
        c.colorBar(left + plotW + 14, top, 16, min(plotH, 300), lo: -1, hi: 1, label: "Cosine similarity")
        try c.write(to: path)
    }

    /// Figure 7 (left): the leading principal components of the RGB patch-embedding filters, each shown as a
    /// patch (min–max scaled per component), labelled with the variance it explains.
    public static func patchFilters(_ components: [[Float]], explained: [Double], channels: Int, patch: [Int], title: String,
                                    to path: String) throws {
        let ph = patch[0], pw = patch[1]
        let scale = max(2.0, (56.0 / Double(max(ph, pw))).rounded(.down))
        let tileW = Double(pw) * scale, tileH = Double(ph) * scale
        let columns = min(7, components.count), rows = (components.count + columns - 1) / columns
        let left = 30.0, top = 60.0, gapX = 14.0, gapY = 30.0
        let c = try Canvas(width: Int(left * 2 + Double(columns) * (tileW + gapX)), height: Int(top + Double(rows) * (tileH + gapY) + 20), for: path)
        c.text(title, Double(c.width) / 2, 22, size: 15, align: 0.5, bold: true)
        c.text("principal components of the patch-embedding filters (RGB, min–max scaled each)", Double(c.width) / 2, 42, size: 11, align: 0.5)
        for (k, comp) in components.enumerated() {
            let lo = comp.min() ?? 0, hi = comp.max() ?? 1
            var pixels = [UInt8](repeating: 0, count: ph * pw * 3)
            for y in 0..<ph {
                for x in 0..<pw {
                    for ch in 0..<3 {
                        let v = comp[(min(ch, channels - 1) * ph + y) * pw + x]
                        pixels[(y * pw + x) * 3 + ch] = UInt8(max(0, min(255, ((v - lo) / max(hi - lo, 1e-12) * 255).rounded())))
                    }
                }
            }
            let x = left + Double(k % columns) * (tileW + gapX), y = top + Double(k / columns) * (tileH + gapY)
            c.image(pixels, width: pw, height: ph, at: x, y, scale: scale)
            c.strokeRect(x, y, tileW, tileH, width: 0.5)
            c.text(String(format: "PC%d  %.1f%%", k + 1, explained[k] * 100), x + tileW / 2, y + tileH + 10, size: 9, align: 0.5)
        }
        try c.write(to: path)
    }

    /// Figure 6: the input (as preprocessed, `rgb` rows × columns) beside its attention rollout over the patches,
    /// and the last block's class-token attention of each head.
    public static func attention(image rgb: [UInt8], width: Int, height: Int, rollout: [Float], heads: [[Float]], grid: [Int],
                                 title: String, to path: String) throws {
        let scale = max(1.0, (200.0 / Double(max(width, height))).rounded(.down))
        let iw = Double(width) * scale, ih = Double(height) * scale
        let cell = iw / Double(grid[1])
        let headCell = max(2.0, (96.0 / Double(grid[1])).rounded(.down))
        let hw = Double(grid[1]) * headCell, hh = Double(grid[0]) * headCell
        let headCols = min(6, heads.count), headRows = (heads.count + headCols - 1) / max(1, headCols)
        let left = 30.0, top = 70.0
        let width1 = left + 3 * (iw + 20) + 60
        let width2 = left + Double(headCols) * (hw + 12) + 20
        let c = try Canvas(width: Int(max(width1, width2)), height: Int(top + ih + 60 + Double(headRows) * (hh + 26) + 20), for: path)
        c.text(title, Double(c.width) / 2, 22, size: 15, align: 0.5, bold: true)
        c.text("attention rollout (Abnar & Zuidema 2020) and the last block's class-token attention per head",
               Double(c.width) / 2, 42, size: 11, align: 0.5)
        c.image(rgb, width: width, height: height, at: left, top, scale: scale)
        c.text("input (preprocessed)", left + iw / 2, top + ih + 12, size: 11, align: 0.5)
        let lo = Double(rollout.min() ?? 0), hi = Double(rollout.max() ?? 1)
        let x2 = left + iw + 20
        c.heatmap(rollout, rows: grid[0], columns: grid[1], at: x2, top, cell: cell, lo: lo, hi: hi)
        c.text("attention rollout", x2 + iw / 2, top + ih + 12, size: 11, align: 0.5)
        let x3 = x2 + iw + 20
        c.image(rgb, width: width, height: height, at: x3, top, scale: scale)
        c.heatmap(rollout, rows: grid[0], columns: grid[1], at: x3, top, cell: cell, lo: lo, hi: hi, alpha: 0.6)
        c.text("overlay", x3 + iw / 2, top + ih + 12, size: 11, align: 0.5)
        c.colorBar(x3 + iw + 10, top, 12, ih, lo: lo, hi: hi, label: "rollout weight")
        let y0 = top + ih + 50
        c.text("last block, class-token attention per head (each map scaled to its own range)", left, y0 - 12, size: 11)
        for (h, map) in heads.enumerated() {
            let x = left + Double(h % headCols) * (hw + 12), y = y0 + Double(h / headCols) * (hh + 26)
            let mlo = Double(map.min() ?? 0), mhi = Double(map.max() ?? 1)
            c.heatmap(map, rows: grid[0], columns: grid[1], at: x, y, cell: headCell, lo: mlo, hi: mhi)
            c.text("head \(h + 1)", x + hw / 2, y + hh + 10, size: 10, align: 0.5)
        }
        try c.write(to: path)
    }

    /// Figure 7 (right): each head's mean attention distance (pixels) against block depth.
    public static func attentionDistance(_ distances: [[Float]], imageSize: Int, title: String, to path: String) throws {
        let left = 70.0, top = 60.0, w = 460.0, h = 320.0
        let c = try Canvas(width: Int(left + w + 40), height: Int(top + h + 60), for: path)
        c.text(title, Double(c.width) / 2, 22, size: 15, align: 0.5, bold: true)
        c.text("each dot is one head (colour: head index): mean distance to the attended patches", Double(c.width) / 2, 42, size: 11, align: 0.5)
        let depth = distances.count
        let raw = max(Double(imageSize), Double(distances.flatMap { $0 }.max() ?? 1)) / 5
        let mag = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        let ticks = Int((5 * raw / step).rounded(.up))
        let ymax = step * Double(ticks)
        c.strokeRect(left, top, w, h)
        for k in 0...ticks {
            let v = step * Double(k), y = top + h - h * Double(k) / Double(ticks)
            c.line(left - 4, y, left, y)
            c.line(left, y, left + w, y, width: 0.3, gray: 0.8)
            c.text(String(format: "%.0f", v), left - 8, y, size: 10, align: 1)
        }
        for l in 0..<depth {
            let x = left + w * (Double(l) + 0.5) / Double(depth)
            c.line(x, top + h, x, top + h + 4)
            if depth <= 16 || l % 2 == 0 { c.text("\(l + 1)", x, top + h + 14, size: 10, align: 0.5) }
            for (hd, d) in distances[l].enumerated() {
                let col = ColorMap.viridis(Double(hd) / Double(max(1, distances[l].count - 1)))
                c.dot(x, top + h - h * Double(d) / ymax, radius: 3.5, col)
            }
        }
        c.text("Network depth (block)", left + w / 2, top + h + 34, size: 12, align: 0.5)
        c.text("Mean attention distance (pixels)", left - 48, top + h / 2, size: 12, align: 0.5, rotate: true)
        try c.write(to: path)
    }
}
