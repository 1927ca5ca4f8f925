import ViTTensor

/// A run of a source tensor's bytes, as one piece of a canonical tensor's bytes.
public struct ByteRun: Sendable, Equatable {
    /// The source's position in the plan entry's `sourceInfos`.
    public let source: Int
    /// The first byte within the source tensor.
    public let offset: Int
    /// The number of bytes.
    public let count: Int

    public init(source: Int, offset: Int, count: Int) {
        self.source = source
        self.offset = offset
        self.count = count
    }
}

extension TensorTransform {
    /// The output's bytes as runs of the sources' bytes, in output order, when the transform moves no element
    /// relative to its neighbours (`identity`, `reshape`, `rows`, `slice` of those, `concatRows` of those: in C
    /// order each is a byte range, or ranges one after another); nil for permutations, or inputs that do not fit.
    /// - Parameters:
    ///   - shapes: the source shapes, in the plan's order.
    ///   - elementSize: bytes per element (every source has the same dtype).
    public func byteRuns(_ shapes: [[Int]], elementSize: Int) -> [ByteRun]? {
        guard outputShape(shapes) != nil else { return nil }
        if case let .concatRows(parts) = self {
            var runs: [ByteRun] = []
            for (k, (part, shape)) in zip(parts, shapes).enumerated() {
                guard let r = part.byteRuns([shape], elementSize: elementSize) else { return nil }
                runs += r.map { ByteRun(source: k, offset: $0.offset, count: $0.count) }
            }
            return runs
        }
        let s = shapes[0]
        guard let bytes = Shape.elementCount(s).map({ $0 * elementSize }) else { return nil }
        switch self {
        case .identity, .reshape:
            return [ByteRun(source: 0, offset: 0, count: bytes)]
        case let .rows(start, count):
            let rowBytes = bytes / max(s[0], 1)
            return [ByteRun(source: 0, offset: start * rowBytes, count: count * rowBytes)]
        case let .slice(i, then):
            let sliceBytes = bytes / max(s[0], 1)
            guard let inner = then.byteRuns([Array(s.dropFirst())], elementSize: elementSize) else { return nil }
            return inner.map { ByteRun(source: 0, offset: i * sliceBytes + $0.offset, count: $0.count) }
        default:
            return nil
        }
    }
}

extension PlannedTensor {
    /// The canonical tensor's bytes as runs of its sources' stored bytes, when it is a pure byte layout of
    /// them: every source already has the canonical dtype and the transform moves no element
    /// (`TensorTransform.byteRuns`). A streaming writer can then copy the runs without materialising anything.
    public var byteRuns: [ByteRun]? {
        guard sourceInfos.allSatisfy({ $0.dtype == dtype }), transform.outputShape(sourceInfos.map(\.shape)) == shape,
              let runs = transform.byteRuns(sourceInfos.map(\.shape), elementSize: dtype.byteSize),
              runs.reduce(0, { $0 + $1.count }) == byteCount else { return nil }
        return runs
    }
}
