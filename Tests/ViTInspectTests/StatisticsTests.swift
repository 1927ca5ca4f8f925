import Testing
import ViTTensor
@testable import ViTInspect

@Suite("tensor statistics")
struct StatisticsTests {
    @Test("min, max, mean and population std of a few values")
    func small() throws {
        let s = TensorStatistics(of: try Tensor(shape: [2, 2], float32: [1, 2, 3, 4]), name: "a")
        #expect(s.count == 4)
        #expect(s.min == 1)
        #expect(s.max == 4)
        #expect(s.mean == 2.5)
        #expect(s.std == 1.25.squareRoot())
        #expect(s.nanCount == 0 && s.infCount == 0 && s.zeroCount == 0)
        #expect(s.warning(file: "f") == nil)
    }

    @Test("NaN and ±Inf are counted, not averaged; the finite values give the statistics")
    func nonFinite() throws {
        let s = TensorStatistics(of: try Tensor(shape: [5], float32: [1, .nan, .infinity, -.infinity, 0]), name: "n")
        #expect(s.nanCount == 1)
        #expect(s.infCount == 2)
        #expect(s.zeroCount == 1)
        #expect(s.min == 0 && s.max == 1 && s.mean == 0.5 && s.std == 0.5)
        #expect(s.warning(file: "f.safetensors") == "warning: f.safetensors: n holds 1 NaN and 2 Inf among 5 values")
    }

    @Test("a tensor of zeros warns; an empty tensor has no statistics and no warning")
    func zerosAndEmpty() throws {
        let z = TensorStatistics(of: try Tensor(shape: [3], float32: [0, -0.0, 0]), name: "z")
        #expect(z.isAllZeros)
        #expect(z.warning(file: "f") == "warning: f: z is all zeros (3 values)")
        let e = TensorStatistics(of: try Tensor(shape: [0, 4], float32: []), name: "e")
        #expect(e.count == 0)
        #expect(e.min == nil && e.max == nil && e.mean == nil && e.std == nil)
        #expect(e.warning(file: "f") == nil)
        let allNaN = TensorStatistics(of: try Tensor(shape: [2], float32: [.nan, .nan]), name: "x")
        #expect(allNaN.mean == nil && allNaN.nanCount == 2)
    }

    @Test("blocks merge exactly: 200,003 values around 10⁶ keep a std of 0.5 (a naive Σx² would lose it)")
    func manyBlocks() throws {
        let n = 200_003  // four blocks, the last one short
        var values = [Double](repeating: 0, count: n)
        for i in 0..<n { values[i] = 1_000_000 + Double(i % 2) }
        let bytes = values.withUnsafeBytes { Array($0) }
        let s = TensorStatistics(of: try Tensor(dtype: .f64, shape: [n], bytes: bytes), name: "big")
        let ones = Double(n / 2), count = Double(n)
        let mean = 1_000_000 + ones / count
        let variance = (count - ones) * (ones / count) * (ones / count) / count + ones * (1 - ones / count) * (1 - ones / count) / count
        #expect(s.min == 1_000_000 && s.max == 1_000_001)
        #expect(abs(s.mean! - mean) < 1e-9)
        #expect(abs(s.std! - variance.squareRoot()) < 1e-12)
    }

    @Test("half, bfloat16 and integer tensors are read as their values")
    func dtypes() throws {
        let f = try Tensor(shape: [4], float32: [-2, 0.5, 0.25, 3])
        for d in [DType.f16, .bf16, .f64] {
            let s = TensorStatistics(of: try f.converted(to: d), name: "x")
            #expect(s.dtype == d)
            #expect(s.min == -2 && s.max == 3 && s.mean == 0.4375, "\(d)")
        }
        let ints: [Int64] = [-3, 0, 9, Int64(1) << 40]
        let t = try Tensor(dtype: .i64, shape: [4], bytes: ints.withUnsafeBytes { Array($0) })
        let s = TensorStatistics(of: t, name: "i")
        #expect(s.min == -3 && s.max == Double(Int64(1) << 40) && s.zeroCount == 1)
        let b = TensorStatistics(of: try Tensor(dtype: .bool, shape: [3], bytes: [1, 0, 1]), name: "b")
        #expect(b.mean == 2.0 / 3.0 && b.zeroCount == 1)
    }

    @Test("the table prints one right-aligned row per tensor, -- for missing values")
    func table() throws {
        let rows = [TensorStatistics(of: try Tensor(shape: [2], float32: [1, 3]), name: "w"),
                    TensorStatistics(of: try Tensor(shape: [0], float32: []), name: "empty")]
        let text = TensorStatistics.table(rows)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[1].split(separator: " ").map(String.init) == ["Tensor", "DType", "Shape", "Min", "Max", "Mean", "Std", "NaN", "Inf", "Zeros"])
        #expect(lines[3].split(separator: " ").map(String.init) == ["w", "F32", "[2]", "1", "3", "2", "1", "0", "0", "0"])
        #expect(lines[4].split(separator: " ").map(String.init) == ["empty", "F32", "[0]", "--", "--", "--", "--", "0", "0", "0"])
        #expect(lines.allSatisfy { $0.count == lines[0].count || $0.hasPrefix("=") })
    }
}
