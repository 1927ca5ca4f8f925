import Foundation

/// Eigenvalues and eigenvectors of a symmetric matrix: Householder reduction to tridiagonal form, then the implicit
/// QL algorithm (the classic EISPACK tred2/tql2 pair, as in JAMA), in Double. O(n³); ViT-B/16's 768 × 768 filter
/// covariance takes ~5 s of CPU in a release build (the whole vit-summary --plot patch-filters run). Kept in Swift so that vit-summary, which draws the patch-filter PCA, does not
/// link OpenBLAS/LAPACK (Package.swift, layer 3).
enum SymmetricEigen {
    /// `a` is n × n, row-major, symmetric. Returns the eigenvalues (descending) and their unit eigenvectors.
    static func decompose(_ a: [Double], n: Int) -> (values: [Double], vectors: [[Double]]) {
        guard n > 0 else { return ([], []) }
        var v = a, d = [Double](repeating: 0, count: n), e = [Double](repeating: 0, count: n)
        v.withUnsafeMutableBufferPointer { vp in
            let V = vp.baseAddress!
            tridiagonalize(V, &d, &e, n: n)
            diagonalize(V, &d, &e, n: n)
        }
        let order = (0..<n).sorted { d[$0] > d[$1] }
        return (order.map { d[$0] }, order.map { c in (0..<n).map { v[$0 * n + c] } })
    }

    /// Householder reduction (tred2): on return V holds the orthogonal transformation, d the diagonal, e the
    /// subdiagonal in e[1...].
    private static func tridiagonalize(_ V: UnsafeMutablePointer<Double>, _ d: inout [Double], _ e: inout [Double], n: Int) {
        @inline(__always) func at(_ r: Int, _ c: Int) -> UnsafeMutablePointer<Double> { V + r * n + c }
        for j in 0..<n { d[j] = at(n - 1, j).pointee }
        for i in stride(from: n - 1, to: 0, by: -1) {
            var scale = 0.0, h = 0.0
            for k in 0..<i { scale += abs(d[k]) }
            if scale == 0 {
                e[i] = d[i - 1]
                for j in 0..<i { d[j] = at(i - 1, j).pointee; at(i, j).pointee = 0; at(j, i).pointee = 0 }
            } else {
                for k in 0..<i { d[k] /= scale; h += d[k] * d[k] }
                var f = d[i - 1]
                var g = h.squareRoot()
                if f > 0 { g = -g }
                e[i] = scale * g
                h -= f * g
                d[i - 1] = f - g
                for j in 0..<i { e[j] = 0 }
                for j in 0..<i {
                    f = d[j]
                    at(j, i).pointee = f
                    g = e[j] + at(j, j).pointee * f
                    if j + 1 <= i - 1 {
                        for k in (j + 1)...(i - 1) {
                            g += at(k, j).pointee * d[k]
                            e[k] += at(k, j).pointee * f
                        }
                    }
                    e[j] = g
                }
                f = 0
                for j in 0..<i { e[j] /= h; f += e[j] * d[j] }
                let hh = f / (h + h)
                for j in 0..<i { e[j] -= hh * d[j] }
                for j in 0..<i {
                    f = d[j]; g = e[j]
                    for k in j...(i - 1) { at(k, j).pointee -= f * e[k] + g * d[k] }
                    d[j] = at(i - 1, j).pointee
                    at(i, j).pointee = 0
                }
            }
            d[i] = h
        }
        for i in 0..<(n - 1) {
            at(n - 1, i).pointee = at(i, i).pointee
            at(i, i).pointee = 1
            let h = d[i + 1]
            if h != 0 {
                for k in 0...i { d[k] = at(k, i + 1).pointee / h }
                for j in 0...i {
                    var g = 0.0
                    for k in 0...i { g += at(k, i + 1).pointee * at(k, j).pointee }
                    for k in 0...i { at(k, j).pointee -= g * d[k] }
                }
            }
            for k in 0...i { at(k, i + 1).pointee = 0 }
        }
        for j in 0..<n { d[j] = at(n - 1, j).pointee; at(n - 1, j).pointee = 0 }
        at(n - 1, n - 1).pointee = 1
        e[0] = 0
    }

    /// Implicit QL on the tridiagonal (tql2): d becomes the eigenvalues, V's columns the eigenvectors.
    private static func diagonalize(_ V: UnsafeMutablePointer<Double>, _ d: inout [Double], _ e: inout [Double], n: Int) {
        @inline(__always) func at(_ r: Int, _ c: Int) -> UnsafeMutablePointer<Double> { V + r * n + c }
        for i in 1..<max(1, n) { e[i - 1] = e[i] }
        e[n - 1] = 0
        var f = 0.0, tst1 = 0.0
        let eps = pow(2.0, -52.0)
        for l in 0..<n {
            tst1 = max(tst1, abs(d[l]) + abs(e[l]))
            var m = l
            while m < n - 1 && abs(e[m]) > eps * tst1 { m += 1 }
            if m > l {
                var iterations = 0
                repeat {
                    iterations += 1
                    var g = d[l]
                    var p = (d[l + 1] - g) / (2 * e[l])
                    var r = hypot(p, 1)
                    if p < 0 { r = -r }
                    d[l] = e[l] / (p + r)
                    d[l + 1] = e[l] * (p + r)
                    let dl1 = d[l + 1]
                    var h = g - d[l]
                    if l + 2 < n { for i in (l + 2)..<n { d[i] -= h } }
                    f += h
                    p = d[m]
                    var c = 1.0, c2 = 1.0, c3 = 1.0
                    let el1 = e[l + 1]
                    var s = 0.0, s2 = 0.0
                    for i in stride(from: m - 1, through: l, by: -1) {
                        c3 = c2
                        c2 = c
                        s2 = s
                        g = c * e[i]
                        h = c * p
                        r = hypot(p, e[i])
                        e[i + 1] = s * r
                        s = e[i] / r
                        c = p / r
                        p = c * d[i] - s * g
                        d[i + 1] = h + s * (c * g + s * d[i])
                        for k in 0..<n {
                            let vk1 = at(k, i + 1).pointee, vk = at(k, i).pointee
                            at(k, i + 1).pointee = s * vk + c * vk1
                            at(k, i).pointee = c * vk - s * vk1
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1
                    e[l] = s * p
                    d[l] = c * p
                } while abs(e[l]) > eps * tst1 && iterations < 60
            }
            d[l] += f
            e[l] = 0
        }
    }
}
