import ViTTensor
@testable import ViTMapping

/// An in-memory checkpoint for tests.
final class MemorySource: TensorSource, @unchecked Sendable {
    let path: String
    let formatName = "memory"
    let tensorInfos: [TensorInfo]
    let metadata: [String: String]
    let configJSON: String?
    private let tensors: [String: Tensor]

    init(path: String = "mem.safetensors", _ entries: [(String, Tensor)], metadata: [String: String] = [:], configJSON: String? = nil) {
        self.path = path
        tensorInfos = entries.map { TensorInfo(name: $0.0, dtype: $0.1.dtype, shape: $0.1.shape) }
        tensors = Dictionary(entries, uniquingKeysWith: { a, _ in a })
        self.metadata = metadata
        self.configJSON = configJSON
    }

    struct NotFound: Error { let name: String }

    func tensor(named name: String) throws -> Tensor {
        guard let t = tensors[name] else { throw NotFound(name: name) }
        return t
    }
}

/// Deterministic pseudo-random floats (an LCG; values in [-1, 1)).
struct Noise {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 6364136223846793005 &+ 1442695040888963407 }
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 1
    }
    mutating func values(_ n: Int) -> [Float] { (0..<n).map { _ in next() } }
}

/// Plain index arithmetic (written independently of ViTMapping's `Permute`): numpy `x.reshape(shape).transpose(axes)`.
func npTranspose(_ x: [Float], _ shape: [Int], _ axes: [Int]) -> [Float] {
    let outShape = axes.map { shape[$0] }
    var strides = [Int](repeating: 1, count: shape.count)
    for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
    let n = x.count
    var out = [Float](repeating: 0, count: n)
    for o in 0..<n {
        var rem = o
        var src = 0
        for j in stride(from: outShape.count - 1, through: 0, by: -1) {
            let idx = rem % outShape[j]
            rem /= outShape[j]
            src += idx * strides[axes[j]]
        }
        out[o] = x[src]
    }
    return out
}

/// A tensor's values as a canonical (name, shape, floats) triple.
struct Values {
    var shape: [Int]
    var data: [Float]

    func tensor(_ dtype: DType = .f32) throws -> Tensor { try Tensor(shape: shape, float32: data).converted(to: dtype) }
    /// Rows `[from, to)` of a tensor whose first axis is rows.
    func rows(_ from: Int, _ to: Int) -> Values {
        let per = shape.dropFirst().reduce(1, *)
        return Values(shape: [to - from] + shape.dropFirst(), data: Array(data[(from * per)..<(to * per)]))
    }
    func transposed(_ axes: [Int]) -> Values { Values(shape: axes.map { shape[$0] }, data: npTranspose(data, shape, axes)) }
    func reshaped(_ s: [Int]) -> Values { Values(shape: s, data: data) }
}
