import Testing
import ViTTensor
@testable import ViTMapping

/// `byteRuns` says which transforms are pure byte layouts (ranges of the sources, in order) and which move
/// elements; each claimed layout is checked against `apply` on counting data.
@Suite("Byte runs of transforms")
struct ByteRunTests {
    /// Counting float32 data: element i holds i + 1000·source.
    func counting(_ shape: [Int], source: Int = 0) throws -> Tensor {
        let n = shape.reduce(1, *)
        return try Tensor(shape: shape, float32: (0..<n).map { Float($0 + 1000 * source) })
    }

    /// The bytes the runs describe, gathered from `inputs`.
    func gather(_ runs: [ByteRun], _ inputs: [Tensor]) -> [UInt8] {
        runs.flatMap { r in Array(inputs[r.source].bytes[r.offset..<(r.offset + r.count)]) }
    }

    static let cases: [(TensorTransform, [[Int]])] = [
        (.identity, [[2, 3]]),
        (.reshape(to: [1, 1, 6]), [[1, 6]]),
        (.rows(start: 1, count: 2), [[4, 3]]),
        (.slice(index: 2, then: .identity), [[3, 4, 2]]),
        (.slice(index: 1, then: .rows(start: 1, count: 2)), [[2, 4, 3]]),
        (.concatRows([.identity, .reshape(to: [1, 3]), .identity]), [[2, 3], [3], [1, 3]]),
        (.concatRows([.slice(index: 0, then: .identity), .slice(index: 1, then: .identity)]), [[2, 2, 3], [2, 2, 3]]),
    ]

    @Test("pure layouts: the runs gather exactly the bytes apply gives", arguments: 0..<ByteRunTests.cases.count)
    func layouts(_ i: Int) throws {
        let (transform, shapes) = Self.cases[i]
        let inputs = try shapes.enumerated().map { try counting($1, source: $0) }
        let runs = try #require(transform.byteRuns(shapes, elementSize: 4), "\(transform)")
        let applied = try transform.apply(inputs, dtype: .f32, name: "x")
        #expect(gather(runs, inputs) == Array(applied.bytes), "\(transform)")
    }

    @Test("rows and slices are byte ranges: rows[1..<3] of (4, 3) f32 is bytes 12..<36")
    func ranges() {
        #expect(TensorTransform.rows(start: 1, count: 2).byteRuns([[4, 3]], elementSize: 4) == [ByteRun(source: 0, offset: 12, count: 24)])
        #expect(TensorTransform.slice(index: 2, then: .identity).byteRuns([[3, 4]], elementSize: 2)
                == [ByteRun(source: 0, offset: 16, count: 8)])
    }

    @Test("permutations and inputs that do not fit have no runs")
    func permutations() {
        #expect(TensorTransform.transpose2D.byteRuns([[2, 3]], elementSize: 4) == nil)
        #expect(TensorTransform.hwioToOihw.byteRuns([[2, 2, 3, 4]], elementSize: 4) == nil)
        #expect(TensorTransform.jaxQKVKernel(heads: 2, headDim: 3).byteRuns([[6, 2, 3]], elementSize: 4) == nil)
        #expect(TensorTransform.concatRows([.identity, .transpose2D]).byteRuns([[2, 3], [3, 2]], elementSize: 4) == nil)
        #expect(TensorTransform.rows(start: 3, count: 2).byteRuns([[4, 3]], elementSize: 4) == nil)
        #expect(TensorTransform.reshape(to: [5]).byteRuns([[2, 3]], elementSize: 4) == nil)
    }

    @Test("a planned tensor has runs only when every source already has its dtype and the shape is the canonical one")
    func planned() {
        let a = TensorInfo(name: "q", dtype: .f32, shape: [2, 3]), b = TensorInfo(name: "k", dtype: .f32, shape: [2, 3])
        let fused = PlannedTensor(canonicalName: "qkv", shape: [4, 3], dtype: .f32, sourceInfos: [a, b],
                                  transform: .concatRows([.identity, .identity]))
        #expect(fused.byteRuns == [ByteRun(source: 0, offset: 0, count: 24), ByteRun(source: 1, offset: 0, count: 24)])
        let mixed = PlannedTensor(canonicalName: "qkv", shape: [4, 3], dtype: .f32,
                                  sourceInfos: [a, TensorInfo(name: "k", dtype: .f16, shape: [2, 3])],
                                  transform: .concatRows([.identity, .identity]))
        #expect(mixed.byteRuns == nil)
        let wrongShape = PlannedTensor(canonicalName: "w", shape: [3, 2], dtype: .f32, sourceInfos: [a], transform: .identity)
        #expect(wrongShape.byteRuns == nil)
    }
}
