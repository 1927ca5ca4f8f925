import Foundation

/// The numbers behind each figure, computed from weights and attention alone (the ViT paper's Figures 6 and 7).
public enum PlotData {
    /// Cosine similarity of every patch position's embedding with every other: [P × P], P = rows × columns,
    /// row-major positions. `posEmbed` holds the patch positions only (prefix tokens removed), P × D.
    public static func positionSimilarity(_ posEmbed: [Float], positions p: Int, dim d: Int) -> [Float] {
        var norms = [Double](repeating: 0, count: p)
        for i in 0..<p {
            var s = 0.0
            for k in 0..<d { s += Double(posEmbed[i * d + k]) * Double(posEmbed[i * d + k]) }
            norms[i] = max(s.squareRoot(), 1e-12)
        }
        var out = [Float](repeating: 0, count: p * p)
        for i in 0..<p {
            for j in i..<p {
                var s = 0.0
                for k in 0..<d { s += Double(posEmbed[i * d + k]) * Double(posEmbed[j * d + k]) }
                let c = Float(s / (norms[i] * norms[j]))
                out[i * p + j] = c
                out[j * p + i] = c
            }
        }
        return out
    }

    /// The leading principal components of the patch-embedding filters: `weight` is [D, L] (D filters of
    /// L = C·ph·pw values each); the filters are centred and the eigenvectors of their L × L covariance taken by
    /// decreasing eigenvalue (through the D × D Gram matrix when D < L: the same nonzero eigenvalues, vectors
    /// Xᵀu normalised). Each component's sign is fixed so that its largest-magnitude value is positive.
    /// - Returns: `count` components of L values each, and the fraction of variance each explains.
    public static func principalComponents(_ weight: [Float], filters n: Int, length l: Int, count: Int) -> ([[Float]], [Double]) {
        var x = weight.map(Double.init)
        for k in 0..<l {
            var mean = 0.0
            for i in 0..<n { mean += x[i * l + k] }
            mean /= Double(n)
            for i in 0..<n { x[i * l + k] -= mean }
        }
        let denom = Double(max(1, n - 1))
        let useGram = n < l
        let m = useGram ? n : l
        // rows of the product: the filters (Gram) or the filters' values across filters (covariance), contiguous
        let rows: [Double], len: Int
        if useGram { rows = x; len = l } else {
            var t = [Double](repeating: 0, count: l * n)
            for i in 0..<n { for k in 0..<l { t[k * n + i] = x[i * l + k] } }
            rows = t; len = n
        }
        var g = [Double](repeating: 0, count: m * m)
        rows.withUnsafeBufferPointer { r in
            for a in 0..<m {
                let ra = r.baseAddress! + a * len
                for b in a..<m {
                    let rb = r.baseAddress! + b * len
                    var s = 0.0
                    for k in 0..<len { s += ra[k] * rb[k] }
                    g[a * m + b] = s / denom
                    g[b * m + a] = s / denom
                }
            }
        }
        let (values, vectors) = SymmetricEigen.decompose(g, n: m)
        let total = max(values.reduce(0) { $0 + max(0, $1) }, 1e-300)
        var comps: [[Float]] = [], explained: [Double] = []
        for c in 0..<min(count, m) {
            var v: [Double]
            if useGram {
                v = (0..<l).map { k in (0..<n).reduce(0.0) { $0 + x[$1 * l + k] * vectors[c][$1] } }
                let norm = max(v.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-300)
                v = v.map { $0 / norm }
            } else {
                v = vectors[c]
            }
            if let mx = v.max(by: { abs($0) < abs($1) }), mx < 0 { v = v.map { -$0 } }
            comps.append(v.map(Float.init))
            explained.append(max(0, values[c]) / total)
        }
        return (comps, explained)
    }

    /// Attention rollout (Abnar & Zuidema 2020): per block the head-mean attention plus the identity (residual),
    /// rows renormalised, multiplied from the first block to the last; the class token's row over the patches.
    /// `layers` are [heads × T × T] for one image. Returns P values (patch order).
    public static func rollout(_ layers: [[Float]], heads: Int, tokens t: Int, prefix: Int) -> [Float] {
        var r = [Double](repeating: 0, count: t * t)
        for i in 0..<t { r[i * t + i] = 1 }
        for layer in layers {
            var a = [Double](repeating: 0, count: t * t)
            for h in 0..<heads { for k in 0..<(t * t) { a[k] += Double(layer[h * t * t + k]) / Double(heads) } }
            for i in 0..<t {
                a[i * t + i] += 1
                let s = (0..<t).reduce(0.0) { $0 + a[i * t + $1] }
                for j in 0..<t { a[i * t + j] /= s }
            }
            var next = [Double](repeating: 0, count: t * t)
            for i in 0..<t { for k in 0..<t where a[i * t + k] != 0 { for j in 0..<t { next[i * t + j] += a[i * t + k] * r[k * t + j] } } }
            r = next
        }
        return (prefix..<t).map { Float(r[$0]) }
    }

    /// Mean attention distance (ViT paper Figure 7 right) of each head of each block, in pixels: for every patch
    /// query, the distance between its patch centre and every patch key's, weighted by the attention on the patch
    /// keys (renormalised to sum 1, prefix tokens left out), averaged over the queries and the images.
    /// `layers` are [N × heads × T × T]. Returns [blocks][heads].
    public static func meanAttentionDistance(_ layers: [[Float]], batch n: Int, heads: Int, tokens t: Int, prefix: Int,
                                             grid: [Int], patch: [Int]) -> [[Float]] {
        let p = t - prefix
        var dist = [Double](repeating: 0, count: p * p)
        for i in 0..<p {
            for j in 0..<p {
                let dy = Double(i / grid[1] - j / grid[1]) * Double(patch[0]), dx = Double(i % grid[1] - j % grid[1]) * Double(patch[1])
                dist[i * p + j] = (dx * dx + dy * dy).squareRoot()
            }
        }
        return layers.map { layer in
            (0..<heads).map { h in
                var total = 0.0
                for b in 0..<n {
                    let base = (b * heads + h) * t * t
                    for i in 0..<p {
                        let row = base + (prefix + i) * t + prefix
                        var w = 0.0, s = 0.0
                        for j in 0..<p { let a = Double(layer[row + j]); w += a; s += a * dist[i * p + j] }
                        total += w > 0 ? s / w : 0
                    }
                }
                return Float(total / Double(n * p))
            }
        }
    }
}
