import Testing
import ViTPlot

/// The patch-filter PCA's eigen-solver on both paths (covariance when filters ≥ values, Gram matrix otherwise):
/// every component is a unit vector v with C·v = λ·v for the filters' covariance C (tolerance 1e-8 relative),
/// orthogonal to the others, in decreasing order of explained variance.
@Suite struct PlotDataTests {
    func check(filters n: Int, length l: Int) {
        var seed: UInt64 = 0x9E3779B97F4A7C15
        let w: [Float] = (0..<(n * l)).map { _ in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: seed >> 11) % 2000) / 1000 - 1
        }
        let k = min(n, l) - 1
        let (comps, explained) = PlotData.principalComponents(w, filters: n, length: l, count: k)
        var mean = [Double](repeating: 0, count: l)
        for i in 0..<n { for j in 0..<l { mean[j] += Double(w[i * l + j]) / Double(n) } }
        func cov(_ v: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: l)
            for i in 0..<n {
                var dot = 0.0
                for j in 0..<l { dot += (Double(w[i * l + j]) - mean[j]) * v[j] }
                for j in 0..<l { out[j] += (Double(w[i * l + j]) - mean[j]) * dot / Double(n - 1) }
            }
            return out
        }
        let total = (0..<l).reduce(0.0) { acc, j in acc + (0..<n).reduce(0.0) { $0 + pow2(Double(w[$1 * l + j]) - mean[j]) } / Double(n - 1) }
        for (c, comp) in comps.enumerated() {
            let v = comp.map(Double.init)
            let cv = cov(v)
            let lambda = zip(v, cv).reduce(0) { $0 + $1.0 * $1.1 }
            let residual = zip(cv, v).map { abs($0 - lambda * $1) }.max() ?? 1
            #expect(residual <= 1e-5 * max(lambda, 1e-3), "component \(c): residual \(residual), λ \(lambda)")
            #expect(abs(v.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
            #expect(abs(lambda / total - explained[c]) < 1e-5)
            if c > 0 { #expect(explained[c] <= explained[c - 1] + 1e-12) }
            for d in 0..<c { #expect(abs(zip(v, comps[d].map(Double.init)).reduce(0) { $0 + $1.0 * $1.1 }) < 1e-4) }
        }
    }

    @Test func covariancePath() { check(filters: 40, length: 12) }
    @Test func gramPath() { check(filters: 9, length: 30) }
    @Test func largerCovariance() { check(filters: 150, length: 75) }
}

private func pow2(_ x: Double) -> Double { x * x }
