import Foundation
import Testing
import ViTTensor
import ViTModel
import ViTTestSupport

/// One case of fixtures/resize/cases.json (made by tools/fixtures_resize.py with torch and timm).
private struct ResizeFixtureCase: Decodable, CustomStringConvertible, Sendable {
    let name: String
    let source: String
    let mode: String
    let antialias: Bool
    let align_corners: Bool
    let prefix_tokens: Int
    let embed_dim: Int
    let old_grid: [Int]
    let new_grid: [Int]
    let input: [Int]
    let output: [Int]
    var description: String { name }
}

private struct ResizeFixtureIndex: Decodable {
    let element_count: Int
    let cases: [ResizeFixtureCase]
}

private enum ResizeFixtures {
    static let folder = Fixtures.url("resize")

    static let index: ResizeFixtureIndex = {
        do {
            return try JSONDecoder().decode(ResizeFixtureIndex.self,
                                            from: Data(contentsOf: folder.appendingPathComponent("cases.json")))
        } catch {
            return ResizeFixtureIndex(element_count: 0, cases: [])
        }
    }()

    static let data: [Float] = {
        guard let bytes = try? Data(contentsOf: folder.appendingPathComponent("data.f32")) else { return [] }
        return bytes.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }()

    static func slice(_ range: [Int]) -> [Float] { Array(data[range[0]..<(range[0] + range[1])]) }
}

private func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

@Suite("position-embedding resize, against PyTorch and timm")
struct PosEmbedResizeTests {
    @Test("the fixture files are present and complete")
    func fixturesLoad() {
        #expect(ResizeFixtures.index.cases.count == 67)
        #expect(ResizeFixtures.data.count == ResizeFixtures.index.element_count)
    }

    /// Tolerance: max abs diff ≤ 1e-5 against every fixture (inputs are standard normal floats).
    @Test("every F.interpolate and timm fixture is matched to within 1e-5 max abs diff",
          arguments: ResizeFixtures.index.cases)
    fileprivate func matchesFixture(_ c: ResizeFixtureCase) throws {
        let mode = try #require(PosEmbedInterpolation(rawValue: c.mode))
        let got = try resamplePositionEmbedding(
            ResizeFixtures.slice(c.input), embedDim: c.embed_dim, prefixTokens: c.prefix_tokens,
            oldGrid: (c.old_grid[0], c.old_grid[1]), newGrid: (c.new_grid[0], c.new_grid[1]),
            mode: mode, antialias: c.antialias, alignCorners: c.align_corners)
        let expected = ResizeFixtures.slice(c.output)
        #expect(got.count == expected.count)
        #expect(maxAbsDiff(got, expected) <= 1e-5, "\(c.name)")
    }

    /// Beyond the tolerance: the same float32 operations (including the fused multiply-adds of
    /// torch's x86-64 FMA kernels) give the same bits. A failure reports how many values differ.
    @Test("every fixture is reproduced bit for bit (torch 2.15 x86-64 FMA kernels)",
          arguments: ResizeFixtures.index.cases)
    fileprivate func bitExact(_ c: ResizeFixtureCase) throws {
        let mode = try #require(PosEmbedInterpolation(rawValue: c.mode))
        let got = try resamplePositionEmbedding(
            ResizeFixtures.slice(c.input), embedDim: c.embed_dim, prefixTokens: c.prefix_tokens,
            oldGrid: (c.old_grid[0], c.old_grid[1]), newGrid: (c.new_grid[0], c.new_grid[1]),
            mode: mode, antialias: c.antialias, alignCorners: c.align_corners)
        let expected = ResizeFixtures.slice(c.output)
        let differing = zip(got, expected).filter { $0.0.bitPattern != $0.1.bitPattern }.count
        #expect(got.count == expected.count && differing == 0, "\(c.name): \(differing) of \(expected.count) values differ")
    }

    @Test("1-D weight rows equal the ones PyTorch produced (fact sheet examples)")
    func weightRows() {
        func row(_ n: Int, _ m: Int, _ mode: PosEmbedInterpolation, aa: Bool, _ i: Int) -> [Float] {
            ResampleWeights(inputSize: n, outputSize: m, mode: mode, antialias: aa, alignCorners: false).denseRow(i)
        }
        func close(_ a: [Float], _ expected: [Int: Float]) -> Bool {
            a.indices.allSatisfy { abs(a[$0] - (expected[$0] ?? 0)) <= 1e-6 }
        }
        #expect(close(row(14, 24, .bicubic, aa: false, 0), [0: 1.097928, 1: -0.097928]))
        #expect(close(row(14, 24, .bicubic, aa: true, 0), [0: 1.077741, 1: -0.077741]))
        let downRow: [Int: Float] = [0: 0.464435, 1: 0.464435, 2: 0.121339, 3: -0.037657, 4: -0.012552]
        #expect(close(row(14, 7, .bicubic, aa: true, 0), downRow))
        #expect(close(row(14, 7, .bilinear, aa: true, 3), [5: 0.125, 6: 0.375, 7: 0.375, 8: 0.125]))
        #expect(close(row(14, 7, .bilinear, aa: false, 3), [6: 0.5, 7: 0.5]))
    }

    @Test("equal grids return the input unchanged, with prefix rows")
    func identity() throws {
        let values: [Float] = (0..<26).map { (i: Int) -> Float in Float(i) / 4 - 1 }
        let out = try resamplePositionEmbedding(values, embedDim: 2, prefixTokens: 1, oldGrid: (3, 4), newGrid: (3, 4),
                                                mode: .bicubic, antialias: true)
        #expect(out == values)
    }

    @Test("prefix rows are copied unchanged and only the grid is resized")
    func prefixRowsKept() throws {
        let c = try #require(ResizeFixtures.index.cases.first { $0.prefix_tokens == 2 })
        let input = ResizeFixtures.slice(c.input)
        let out = try resamplePositionEmbedding(input, embedDim: c.embed_dim, prefixTokens: 2,
                                                oldGrid: (c.old_grid[0], c.old_grid[1]), newGrid: (c.new_grid[0], c.new_grid[1]),
                                                mode: .bicubic, antialias: true)
        #expect(Array(out[0..<(2 * c.embed_dim)]) == Array(input[0..<(2 * c.embed_dim)]))
        #expect(out.count == (2 + c.new_grid[0] * c.new_grid[1]) * c.embed_dim)
    }

    @Test("the tensor overload keeps the leading 1, equals the array result for F32 and uses the timm preset")
    func tensorF32() throws {
        let c = try #require(ResizeFixtures.index.cases.first { $0.source.hasPrefix("timm") && $0.prefix_tokens == 1 })
        let input = ResizeFixtures.slice(c.input)
        let tokens = input.count / c.embed_dim
        let t = try Tensor(shape: [1, tokens, c.embed_dim], float32: input)
        let out = try resamplePositionEmbedding(t, prefixTokens: 1, oldGrid: (c.old_grid[0], c.old_grid[1]),
                                                newGrid: (c.new_grid[0], c.new_grid[1]), method: .timm)
        #expect(out.shape == [1, 1 + c.new_grid[0] * c.new_grid[1], c.embed_dim])
        #expect(out.dtype == .f32)
        #expect(maxAbsDiff(out.floats(), ResizeFixtures.slice(c.output)) <= 1e-5)
    }

    @Test("a BF16 tensor stays BF16: the grid is computed in float32 and rounded back, the prefix keeps its bits")
    func tensorBF16() throws {
        let d = 4
        let floats = (0..<((1 + 9) * d)).map { Float(sin(Double($0))) }
        let bits = floats.map { FloatBits.bf16(from: $0) }
        let bytes = bits.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let t = try Tensor(dtype: .bf16, shape: [10, d], bytes: bytes)
        let out = try resamplePositionEmbedding(t, prefixTokens: 1, oldGrid: (3, 3), newGrid: (5, 2),
                                                mode: .bicubic, antialias: true)
        #expect(out.dtype == .bf16)
        #expect(out.shape == [11, d])
        #expect(Array(out.bytes[0..<(2 * d)]) == Array(bytes[0..<(2 * d)]))
        let expected = try resamplePositionEmbedding(t.floats(), embedDim: d, prefixTokens: 1, oldGrid: (3, 3),
                                                     newGrid: (5, 2), mode: .bicubic, antialias: true)
        let roundTripped = expected.map { FloatBits.float(fromBF16: FloatBits.bf16(from: $0)) }
        #expect(Array(out.floats()[d...]) == Array(roundTripped[d...]))
    }

    @Test("an F64 tensor keeps its prefix rows at full precision")
    func tensorF64Prefix() throws {
        let values: [Double] = [0.1, 0.2, 1, 2, 3, 4]  // 1 prefix row of width 2, then a 2×1 grid
        let bytes = values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        let t = try Tensor(dtype: .f64, shape: [1, 3, 2], bytes: bytes)
        let out = try resamplePositionEmbedding(t, prefixTokens: 1, oldGrid: (2, 1), newGrid: (1, 1),
                                                mode: .bilinear, antialias: false)
        #expect(out.shape == [1, 2, 2])
        #expect(Array(out.bytes[0..<16]) == Array(bytes[0..<16]))
        #expect(out.floats() == [Float(0.1), Float(0.2), 2, 3])
    }

    @Test("the row count must be prefix + old h·w: the grid is never guessed")
    func tokenMismatch() {
        #expect(throws: ResizeError.tokenCountMismatch(tokens: 197, prefixTokens: 1, h: 14, w: 15)) {
            try resamplePositionEmbedding([Float](repeating: 0, count: 197 * 2), embedDim: 2, prefixTokens: 1,
                                          oldGrid: (14, 15), newGrid: (14, 14), mode: .bicubic, antialias: true)
        }
    }

    @Test("bad sizes are refused with the numbers that were wrong")
    func badSizes() {
        let v = [Float](repeating: 0, count: 8)
        #expect(throws: ResizeError.nonPositiveEmbedDim(0)) {
            try resamplePositionEmbedding(v, embedDim: 0, prefixTokens: 0, oldGrid: (2, 2), newGrid: (1, 1), mode: .bilinear, antialias: false)
        }
        #expect(throws: ResizeError.negativePrefixTokens(-1)) {
            try resamplePositionEmbedding(v, embedDim: 2, prefixTokens: -1, oldGrid: (2, 2), newGrid: (1, 1), mode: .bilinear, antialias: false)
        }
        #expect(throws: ResizeError.nonPositiveGrid(which: "old", h: 0, w: 4)) {
            try resamplePositionEmbedding(v, embedDim: 2, prefixTokens: 0, oldGrid: (0, 4), newGrid: (1, 1), mode: .bilinear, antialias: false)
        }
        #expect(throws: ResizeError.nonPositiveGrid(which: "new", h: 3, w: -1)) {
            try resamplePositionEmbedding(v, embedDim: 2, prefixTokens: 0, oldGrid: (2, 2), newGrid: (3, -1), mode: .bilinear, antialias: false)
        }
        #expect(throws: ResizeError.valueCountNotRows(count: 8, embedDim: 3)) {
            try resamplePositionEmbedding(v, embedDim: 3, prefixTokens: 0, oldGrid: (2, 2), newGrid: (1, 1), mode: .bilinear, antialias: false)
        }
        #expect(throws: ResizeError.sizeOverflow(tokens: Int.max, embedDim: 2)) {
            try resamplePositionEmbedding(v, embedDim: 2, prefixTokens: 0, oldGrid: (2, 2), newGrid: (Int.max, 1), mode: .bilinear, antialias: false)
        }
    }

    @Test("tensor shapes other than (1, T, D) or (T, D) and non-float dtypes are refused")
    func badTensors() throws {
        let t3 = try Tensor(shape: [2, 2, 2], float32: [Float](repeating: 0, count: 8))
        #expect(throws: ResizeError.unsupportedShape([2, 2, 2])) {
            try resamplePositionEmbedding(t3, prefixTokens: 0, oldGrid: (2, 2), newGrid: (1, 1), method: .timm)
        }
        let i = try Tensor(dtype: .i32, shape: [4, 1], bytes: [UInt8](repeating: 0, count: 16))
        #expect(throws: ResizeError.unsupportedDType(.i32)) {
            try resamplePositionEmbedding(i, prefixTokens: 0, oldGrid: (2, 2), newGrid: (1, 1), method: .timm)
        }
    }

    @Test("the presets follow the libraries' own code paths")
    func presets() {
        #expect(ResampleMethod.timm == ResampleMethod(mode: .bicubic, antialias: true, alignCorners: false))
        #expect(ResampleMethod.timmNpz == ResampleMethod(mode: .bilinear, antialias: false))
        #expect(ResampleMethod.huggingFace == ResampleMethod(mode: .bicubic, antialias: false))
        #expect(ResampleMethod.torchvision == ResampleMethod(mode: .bicubic, antialias: false, alignCorners: true))
    }
}
