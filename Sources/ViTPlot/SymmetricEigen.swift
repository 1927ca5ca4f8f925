/// Eigenvalues and eigenvectors of a small symmetric matrix by cyclic Jacobi rotations (in Double). Kept in Swift so
/// that vit-summary, which draws the patch-filter PCA, does not link OpenBLAS/LAPACK (see Package.swift, layer 3).
enum SymmetricEigen {
    /// `a` is n × n, row-major, symmetric. Returns the eigenvalues (descending) and their unit eigenvectors.
    static func decompose(_ a: [Double], n: Int) -> (values: [Double], vectors: [[Double]]) {
        var m = a
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        m.withUnsafeMutableBufferPointer { mp in
            v.withUnsafeMutableBufferPointer { vp in
                let A = mp.baseAddress!, V = vp.baseAddress!
                let scale = (0..<n).reduce(0.0) { $0 + A[$1 * n + $1] * A[$1 * n + $1] } + 1e-300
                for _ in 0..<100 {
                    var off = 0.0
                    for p in 0..<n { for q in (p + 1)..<max(p + 1, n) { off += A[p * n + q] * A[p * n + q] } }
                    if off <= 1e-26 * scale { break }
                    for p in 0..<(n - 1) {
                        for q in (p + 1)..<n { rotate(A, V, n: n, p: p, q: q) }
                    }
                }
            }
        }
        let order = (0..<n).sorted { m[$0 * n + $0] > m[$1 * n + $1] }
        return (order.map { m[$0 * n + $0] }, order.map { c in (0..<n).map { v[$0 * n + c] } })
    }

    /// One Jacobi rotation zeroing A[p][q] (Numerical Recipes' formulas), applied to A and accumulated in V.
    @inline(__always)
    private static func rotate(_ A: UnsafeMutablePointer<Double>, _ V: UnsafeMutablePointer<Double>, n: Int, p: Int, q: Int) {
        let apq = A[p * n + q]
        if apq == 0 { return }
        let app = A[p * n + p], aqq = A[q * n + q]
        let theta = (aqq - app) / (2 * apq)
        let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
        let c = 1 / (t * t + 1).squareRoot(), s = t * c
        for k in 0..<n where k != p && k != q {
            let akp = A[k * n + p], akq = A[k * n + q]
            let np = c * akp - s * akq, nq = s * akp + c * akq
            A[k * n + p] = np; A[p * n + k] = np
            A[k * n + q] = nq; A[q * n + k] = nq
        }
        A[p * n + p] = app - t * apq
        A[q * n + q] = aqq + t * apq
        A[p * n + q] = 0; A[q * n + p] = 0
        for k in 0..<n {
            let vkp = V[k * n + p], vkq = V[k * n + q]
            V[k * n + p] = c * vkp - s * vkq
            V[k * n + q] = s * vkp + c * vkq
        }
    }
}
