import Foundation
import Testing
@testable import ViTModel
@testable import ViTRuntime

@Suite("Kernels")
struct KernelTests {
    /// GELU reference in Double: x·Φ(x) = ½·x·erfc(−x/√2).
    static func geluReference(_ x: Double) -> Double { 0.5 * x * erfc(-x / 2.0.squareRoot()) }

    @Test("GELU is within 2.5e-7 relative for x ≥ 0 and 2e-7·|x| absolute for x < 0, from −12 to 12")
    func geluAccuracy() {
        var worstPositive = 0.0, worstNegative = 0.0
        var x: Float = -12
        var buffer = [Float](repeating: 0, count: 8)
        while x < 12 {
            for l in 0..<8 { buffer[l] = x + Float(l) * 3e-4 }
            let inputs = buffer
            buffer.withUnsafeMutableBufferPointer { Kernels.gelu($0.baseAddress!, 8) }
            for l in 0..<8 where inputs[l] != 0 {
                let xi = Double(inputs[l]), ref = KernelTests.geluReference(xi), err = abs(Double(buffer[l]) - ref)
                if xi > 0 { worstPositive = max(worstPositive, err / ref) } else { worstNegative = max(worstNegative, err / -xi) }
            }
            x += 2.9e-3
        }
        #expect(worstPositive <= 2.5e-7, "worst relative error for x > 0: \(worstPositive)")
        #expect(worstNegative <= 2e-7, "worst error / |x| for x < 0: \(worstNegative)")
    }

    @Test("GELU at known points: 0, ±1, ±3, large and tiny arguments")
    func geluKnownValues() {
        // Φ(1) = 0.8413447460685429, Φ(3) = 0.9986501019683699 (tables of the normal distribution).
        var v: [Float] = [0, 1, -1, 3, -3, 30, -30, 1e-20, 5]
        v.withUnsafeMutableBufferPointer { Kernels.gelu($0.baseAddress!, $0.count) }
        #expect(v[0] == 0)
        #expect(abs(v[1] - 0.8413447460685429) <= 1e-7)
        #expect(abs(v[2] - (-0.15865525393145707)) <= 1e-7)
        #expect(abs(v[3] - 3 * 0.9986501019683699) <= 3e-7)
        #expect(abs(v[4] - (-3 * 0.0013498980316301)) <= 6e-7)
        #expect(v[5] == 30)
        #expect(v[6] == 0 || abs(v[6]) < 1e-30)
        #expect(abs(v[7] - 5e-21) <= 1e-27)
        #expect(v[6] <= 0)
        #expect(abs(v[8] - Float(KernelTests.geluReference(5))) <= 1e-6)
    }

    @Test("the tail of a GELU buffer (not a multiple of 8) is computed like the body")
    func geluTail() {
        var a: [Float] = (0..<13).map { Float($0) * 0.37 - 2 }
        let inputs = a
        a.withUnsafeMutableBufferPointer { Kernels.gelu($0.baseAddress!, 13) }
        for (y, x) in zip(a, inputs) {
            #expect(abs(Double(y) - KernelTests.geluReference(Double(x))) <= 1e-6)
        }
    }

    @Test("vector exp is within 1e-7 relative of exp from −87 to 88")
    func expAccuracy() {
        var worst = 0.0
        var x: Float = -87
        while x < 88 {
            var v = VectorMath.V()
            for l in 0..<8 { v[l] = x + Float(l) * 1.1e-3 }
            let e = VectorMath.exp(v)
            for l in 0..<8 {
                let r = Foundation.exp(Double(v[l]))
                worst = max(worst, abs(Double(e[l]) - r) / r)
            }
            x += 0.0173
        }
        #expect(worst <= 1e-7, "worst relative error \(worst)")
        #expect(VectorMath.exp(VectorMath.V(repeating: 0))[0] == 1)
    }

    @Test("erf has absolute error at most 3.5e-7 and saturates at ±1")
    func erfAccuracy() {
        var worst = 0.0
        var x: Float = -6
        #expect(VectorMath.erf(VectorMath.V(repeating: 50))[0] == 1)
        #expect(VectorMath.erf(VectorMath.V(repeating: -50))[0] == -1)
        while x < 6 {
            let e = VectorMath.erf(VectorMath.V(repeating: x))[0]
            worst = max(worst, abs(Double(e) - Foundation.erf(Double(x))))
            x += 1.3e-3
        }
        #expect(worst <= 3.5e-7, "worst absolute error \(worst)")
    }

    @Test("LayerNorm matches a Double two-pass reference, in place and with a tail")
    func layerNorm() {
        let n = 21, rows = 3
        var x = (0..<(n * rows)).map { Float(sin(Double($0) * 1.7) * 3 + 100) }   // large mean: tests the two passes
        let w = (0..<n).map { Float(1 + 0.1 * Double($0)) }, b = (0..<n).map { Float(-0.05 * Double($0)) }
        let eps = 1e-6
        var expected = [Double]()
        for r in 0..<rows {
            let row = x[(r * n)..<((r + 1) * n)].map(Double.init)
            let mean = row.reduce(0, +) / Double(n)
            let v = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
            expected += row.enumerated().map { ($0.element - mean) / (v + eps).squareRoot() * Double(w[$0.offset]) + Double(b[$0.offset]) }
        }
        x.withUnsafeMutableBufferPointer { p in
            Kernels.layerNorm(p.baseAddress!, ldx: n, p.baseAddress!, ldy: n, rows: rows, n: n,
                              weight: w, bias: b, eps: Float(eps))
        }
        for (a, e) in zip(x, expected) { #expect(abs(Double(a) - e) <= 2e-5 * max(1, abs(e))) }
    }

    @Test("softmax rows sum to one and match exp(x − max)/Σ")
    func softmax() {
        let n = 19
        var s = (0..<(2 * n)).map { Float(cos(Double($0)) * 20) }
        let inputs = s
        s.withUnsafeMutableBufferPointer { Kernels.softmax($0.baseAddress!, rows: 2, n: n, ld: n) }
        for r in 0..<2 {
            let row = inputs[(r * n)..<((r + 1) * n)].map(Double.init)
            let m = row.max() ?? 0
            let e = row.map { Foundation.exp($0 - m) }
            let total = e.reduce(0, +)
            var sum: Float = 0
            for j in 0..<n {
                #expect(abs(Double(s[r * n + j]) - e[j] / total) <= 1e-7)
                sum += s[r * n + j]
            }
            #expect(abs(sum - 1) <= 1e-6)
        }
    }

    @Test("parallel parts cover the range once, with aligned inner boundaries")
    func parallelParts() {
        for count in [0, 1, 7, 16, 100, 1000] {
            for parts in 1...3 {
                let ranges = (0..<parts).map { Parallel.part($0, of: parts, count: count, alignment: 16) }
                #expect(ranges.map(\.count).reduce(0, +) == count)
                for i in 1..<parts {
                    #expect(ranges[i].lowerBound == ranges[i - 1].upperBound)
                }
                for r in ranges.dropLast() where r.upperBound != count { #expect(r.upperBound % 16 == 0) }
            }
        }
    }

    @Test("every chunk runs exactly once on several threads")
    func chunksRunOnce() {
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 50)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0, count: 50)
        let pool = WorkerPool(threads: 3)
        defer { pool.stop() }
        pool.forChunks(50) { c in counts[c] += 1 }
        #expect((0..<50).allSatisfy { counts[$0] == 1 })
    }

    @Test("a worker pool runs thousands of back-to-back loops, and loops after its workers fell asleep")
    func poolLoops() {
        let pool = WorkerPool(threads: 2)
        defer { pool.stop() }
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 8)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0, count: 8)
        for _ in 0..<5_000 { pool.forChunks(8) { c in counts[c] += 1 } }
        #expect((0..<8).allSatisfy { counts[$0] == 5_000 })
        usleep(50_000) // well past the idle spin: the worker sleeps on its condition variable
        pool.forChunks(8) { c in counts[c] += 1 }
        #expect((0..<8).allSatisfy { counts[$0] == 5_001 })
    }
}
