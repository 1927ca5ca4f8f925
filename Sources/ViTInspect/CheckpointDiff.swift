import Foundation
import ViTMapping
import ViTModel
import ViTTensor

/// How one canonical tensor compares between two checkpoints.
public struct TensorDifference: Sendable, Equatable, Encodable {
    /// The verdict for one tensor.
    public enum Status: String, Sendable, Encodable {
        /// Same shape, every value identical (dtypes may differ).
        case equal
        /// Same shape, largest |difference| above 0 but at most the tolerance.
        case withinTolerance = "within_tolerance"
        /// Same shape, largest |difference| above the tolerance.
        case differs
        /// Different shapes: values not compared.
        case shapeMismatch = "shape_mismatch"
    }

    /// The canonical (timm) name.
    public let name: String
    /// Shape in the first checkpoint.
    public let shapeA: [Int]
    /// Shape in the second checkpoint.
    public let shapeB: [Int]
    /// Stored dtype in the first checkpoint (after mapping).
    public let dtypeA: DType
    /// Stored dtype in the second checkpoint (after mapping).
    public let dtypeB: DType
    /// Largest |a − b| over all elements, in Float64; nil when the shapes differ. Infinite when a NaN
    /// meets a number or an infinity meets anything else (NaN = NaN and Inf = Inf count as equal).
    public let maxAbsDifference: Double?
    /// Elements whose |a − b| is above the tolerance (0 when the shapes differ).
    public let elementsOverTolerance: Int
    /// The verdict.
    public let status: Status

    /// True when the stored dtypes differ.
    public var dtypeDiffers: Bool { dtypeA != dtypeB }

    enum CodingKeys: String, CodingKey {
        case name, shapeA = "shape_a", shapeB = "shape_b", dtypeA = "dtype_a", dtypeB = "dtype_b"
        case maxAbsDifference = "max_abs_difference", elementsOverTolerance = "elements_over_tolerance", status
    }
}

/// A config field whose value differs between the two checkpoints.
public struct ConfigDifference: Sendable, Equatable, Encodable {
    /// The config key (`num_heads`, `layer_norm_eps`, …).
    public let key: String
    /// Its JSON value in the first checkpoint.
    public let a: String
    /// Its JSON value in the second checkpoint.
    public let b: String
}

/// The comparison of two checkpoints in the canonical layout.
public struct CheckpointDiff: Sendable, Equatable, Encodable {
    /// The first checkpoint's path.
    public let fileA: String
    /// The second checkpoint's path.
    public let fileB: String
    /// The largest |difference| still counted as equal.
    public let tolerance: Double
    /// Config fields that differ (labels are not compared).
    public let configDifferences: [ConfigDifference]
    /// Canonical tensors only the first checkpoint has, in its order.
    public let onlyInA: [String]
    /// Canonical tensors only the second checkpoint has, in its order.
    public let onlyInB: [String]
    /// Every canonical tensor both have, in the first checkpoint's order.
    public let tensors: [TensorDifference]

    enum CodingKeys: String, CodingKey {
        case fileA = "file_a", fileB = "file_b", tolerance, configDifferences = "config_differences"
        case onlyInA = "only_in_a", onlyInB = "only_in_b", tensors, equal, maxAbsDifference = "max_abs_difference"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(fileA, forKey: .fileA)
        try c.encode(fileB, forKey: .fileB)
        try c.encode(tolerance, forKey: .tolerance)
        try c.encode(configDifferences, forKey: .configDifferences)
        try c.encode(onlyInA, forKey: .onlyInA)
        try c.encode(onlyInB, forKey: .onlyInB)
        try c.encode(tensors, forKey: .tensors)
        try c.encode(isEqual, forKey: .equal)
        try c.encode(maxAbsDifference, forKey: .maxAbsDifference)
    }

    /// Tensors whose values differ beyond the tolerance or whose shapes differ.
    public var differing: [TensorDifference] { tensors.filter { $0.status == .differs || $0.status == .shapeMismatch } }
    /// Tensors stored with different dtypes (reported; not a difference by itself).
    public var dtypeChanges: [TensorDifference] { tensors.filter(\.dtypeDiffers) }
    /// The largest |difference| over the tensors of equal shape (nil when there is none).
    public var maxAbsDifference: Double? { tensors.compactMap(\.maxAbsDifference).max() }

    /// True when both have the same canonical tensors, the same shapes, every value within the tolerance
    /// and the same config. Stored dtypes may differ (a float16 copy of float32 weights is equal within
    /// a tolerance that covers the rounding).
    public var isEqual: Bool {
        configDifferences.isEmpty && onlyInA.isEmpty && onlyInB.isEmpty && differing.isEmpty
    }
}

/// Compares two checkpoints tensor by tensor after mapping both onto the canonical layout.
public enum CheckpointComparer {
    /// Streams over the canonical tensors of `a` (and the matching ones of `b`), one pair at a time.
    ///
    /// Each canonical tensor is materialised from both sources, compared element by element in Float64
    /// and dropped (memory: about two tensors; pages of memory-mapped files are given back once read).
    /// - Parameters:
    ///   - a: the first checkpoint.
    ///   - planA: its mapping (`ViTMapper.plan`).
    ///   - b: the second checkpoint.
    ///   - planB: its mapping.
    ///   - tolerance: the largest |difference| counted as equal (≥ 0).
    /// - Returns: the comparison.
    /// - Throws: the sources' read errors and `MappingError` from materialising.
    public static func compare(_ a: any TensorSource, _ planA: MappingResult, _ b: any TensorSource, _ planB: MappingResult,
                               tolerance: Double = 0) throws -> CheckpointDiff {
        let sourceA = PageReleasingSource(a), sourceB = PageReleasingSource(b)
        let entriesB = Dictionary(planB.plan.entries.map { ($0.canonicalName, $0) }, uniquingKeysWith: { x, _ in x })
        let namesA = Set(planA.plan.entries.map(\.canonicalName))
        var tensors: [TensorDifference] = []
        var onlyInA: [String] = []
        for ea in planA.plan.entries {
            guard let eb = entriesB[ea.canonicalName] else { onlyInA.append(ea.canonicalName); continue }
            guard ea.shape == eb.shape else {
                tensors.append(TensorDifference(name: ea.canonicalName, shapeA: ea.shape, shapeB: eb.shape, dtypeA: ea.dtype,
                                                dtypeB: eb.dtype, maxAbsDifference: nil, elementsOverTolerance: 0,
                                                status: .shapeMismatch))
                continue
            }
            let ta = try ViTMapper.materialize(ea, from: sourceA)
            let tb = try ViTMapper.materialize(eb, from: sourceB)
            let (maxDiff, over) = compareValues(ta, tb, tolerance: tolerance)
            sourceA.releaseHandedOut()
            sourceB.releaseHandedOut()
            let status: TensorDifference.Status = maxDiff == 0 ? .equal : (over == 0 ? .withinTolerance : .differs)
            tensors.append(TensorDifference(name: ea.canonicalName, shapeA: ea.shape, shapeB: eb.shape, dtypeA: ta.dtype,
                                            dtypeB: tb.dtype, maxAbsDifference: maxDiff, elementsOverTolerance: over,
                                            status: status))
        }
        let onlyInB = planB.plan.entries.map(\.canonicalName).filter { !namesA.contains($0) }
        return CheckpointDiff(fileA: a.path, fileB: b.path, tolerance: tolerance,
                              configDifferences: configDifferences(planA.config, planB.config),
                              onlyInA: onlyInA, onlyInB: onlyInB, tensors: tensors)
    }

    /// Largest |a − b| in Float64 and the number of elements above `tolerance`, for tensors of equal
    /// element count. Both are streamed in blocks.
    static func compareValues(_ a: Tensor, _ b: Tensor, tolerance: Double) -> (Double, Int) {
        var maxDiff = 0.0
        var over = 0
        let n = DoubleBlocks.blockSize
        let other = UnsafeMutableBufferPointer<Double>.allocate(capacity: min(n, max(b.elementCount, 1)))
        defer { other.deallocate() }
        // a's blocks, each against the same range of b converted into a side buffer.
        DoubleBlocks.forEach(a) { blockA, start in
            let m = blockA.count
            DoubleBlocks.convert(b, start: start, count: m, into: other)
            for i in 0..<m {
                let x = blockA[i], y = other[i]
                let d: Double
                if x == y || (x.isNaN && y.isNaN) {
                    d = 0
                } else if x.isFinite && y.isFinite {
                    d = abs(x - y)
                } else {
                    d = .infinity
                }
                if d > maxDiff { maxDiff = d }
                if d > tolerance { over += 1 }
            }
        }
        return (maxDiff, over)
    }

    /// The config fields (JSON keys; labels and the family name, which only describe, excluded) whose values differ.
    static func configDifferences(_ a: ViTConfig, _ b: ViTConfig) -> [ConfigDifference] {
        let da = fields(a), db = fields(b)
        return Set(da.keys).union(db.keys).sorted().compactMap { key in
            let x = da[key] ?? "null", y = db[key] ?? "null"
            return x == y ? nil : ConfigDifference(key: key, a: x, b: y)
        }
    }

    /// Each config field as compact JSON text.
    private static func fields(_ config: ViTConfig) -> [String: String] {
        var c = config
        c.labels = nil
        c.family = nil
        guard let data = try? JSONEncoder().encode(c),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        var out: [String: String] = [:]
        for (k, v) in object {
            let text = (try? JSONSerialization.data(withJSONObject: v, options: [.fragmentsAllowed]))
                .map { String(decoding: $0, as: UTF8.self) }
            out[k] = text ?? "\(v)"
        }
        return out
    }
}
