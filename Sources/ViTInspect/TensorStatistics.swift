import ViTTensor

/// Summary statistics of one tensor's values, computed in Float64.
///
/// `min`, `max`, `mean` and `std` are over the finite values only (NaN and ±Inf are counted instead);
/// they are nil when the tensor has no finite value. `std` is the population standard deviation
/// (divisor n, numpy's `np.std` default; `torch.std` divides by n − 1).
public struct TensorStatistics: Sendable, Equatable, Encodable {
    /// The tensor's name in its file.
    public let name: String
    /// The stored dtype.
    public let dtype: DType
    /// The stored shape.
    public let shape: [Int]
    /// Number of elements.
    public let count: Int
    /// Smallest finite value.
    public let min: Double?
    /// Largest finite value.
    public let max: Double?
    /// Mean of the finite values.
    public let mean: Double?
    /// Population standard deviation of the finite values.
    public let std: Double?
    /// Elements that are NaN.
    public let nanCount: Int
    /// Elements that are +Inf or −Inf.
    public let infCount: Int
    /// Elements equal to zero (either sign).
    public let zeroCount: Int

    enum CodingKeys: String, CodingKey {
        case name, dtype, shape, count, min, max, mean, std
        case nanCount = "nan", infCount = "inf", zeroCount = "zeros"
    }

    /// - Parameters:
    ///   - name: tensor name.
    ///   - dtype: stored dtype.
    ///   - shape: stored shape.
    ///   - count: elements.
    ///   - min: smallest finite value (nil when none).
    ///   - max: largest finite value (nil when none).
    ///   - mean: mean of the finite values (nil when none).
    ///   - std: population std of the finite values (nil when none).
    ///   - nanCount: NaN elements.
    ///   - infCount: infinite elements.
    ///   - zeroCount: zero elements.
    public init(name: String, dtype: DType, shape: [Int], count: Int, min: Double?, max: Double?, mean: Double?,
                std: Double?, nanCount: Int, infCount: Int, zeroCount: Int) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.count = count
        self.min = min
        self.max = max
        self.mean = mean
        self.std = std
        self.nanCount = nanCount
        self.infCount = infCount
        self.zeroCount = zeroCount
    }

    /// Computes the statistics of `tensor` in one streamed pass (blocks of 64 Ki elements): each block's
    /// mean and sum of squared deviations are computed about the block mean (two passes over the
    /// block in cache) and merged with Chan et al.'s pairwise update, which keeps `std` accurate even
    /// when the mean is large compared with the spread.
    /// - Parameters:
    ///   - tensor: the tensor (any dtype; integers and bools count as numbers).
    ///   - name: its name, for the result.
    public init(of tensor: Tensor, name: String) {
        var n = 0          // finite values so far
        var mean = 0.0
        var m2 = 0.0       // sum of squared deviations from `mean`
        var lo = Double.infinity, hi = -Double.infinity
        var nans = 0, infs = 0, zeros = 0
        DoubleBlocks.forEach(tensor) { block, _ in
            var bn = 0, sum = 0.0
            for v in block {
                if v.isFinite {
                    bn += 1
                    sum += v
                    if v < lo { lo = v }
                    if v > hi { hi = v }
                    if v == 0 { zeros += 1 }
                } else if v.isNaN {
                    nans += 1
                } else {
                    infs += 1
                }
            }
            guard bn > 0 else { return }
            let bmean = sum / Double(bn)
            var bm2 = 0.0
            for v in block where v.isFinite { let d = v - bmean; bm2 += d * d }
            let total = n + bn
            let delta = bmean - mean
            mean += delta * Double(bn) / Double(total)
            m2 += bm2 + delta * delta * Double(n) * Double(bn) / Double(total)
            n = total
        }
        self.init(name: name, dtype: tensor.dtype, shape: tensor.shape, count: tensor.elementCount,
                  min: n > 0 ? lo : nil, max: n > 0 ? hi : nil, mean: n > 0 ? mean : nil,
                  std: n > 0 ? (m2 / Double(n)).squareRoot() : nil,
                  nanCount: nans, infCount: infs, zeroCount: zeros)
    }

    /// True when some element is NaN or infinite.
    public var hasNonFinite: Bool { nanCount > 0 || infCount > 0 }
    /// True when the tensor has elements and every one is zero.
    public var isAllZeros: Bool { count > 0 && zeroCount == count }

    /// A one-line warning for a tensor holding NaN/Inf or only zeros, naming `file` and the tensor; nil
    /// when the values look sane.
    /// - Parameter file: the checkpoint's path.
    public func warning(file: String) -> String? {
        if hasNonFinite {
            var parts: [String] = []
            if nanCount > 0 { parts.append("\(nanCount) NaN") }
            if infCount > 0 { parts.append("\(infCount) Inf") }
            return "warning: \(file): \(name) holds \(parts.joined(separator: " and ")) among \(count) values"
        }
        if isAllZeros { return "warning: \(file): \(name) is all zeros (\(count) values)" }
        return nil
    }
}

/// Statistics of every tensor of a checkpoint, streamed.
public enum CheckpointStatistics {
    /// Reads every tensor of `source` in container order, one at a time, and computes its statistics.
    ///
    /// Memory stays near one tensor: a heap tensor is freed before the next is read, and a view into a
    /// memory-mapped file has its pages given back once read.
    /// - Parameters:
    ///   - source: an open checkpoint.
    ///   - each: called with every tensor's statistics as soon as it is computed (e.g. to print warnings).
    /// - Returns: the statistics in container order.
    /// - Throws: the source's read errors, or what `each` throws.
    public static func compute(_ source: any TensorSource,
                               each: (TensorStatistics) throws -> Void = { _ in }) throws -> [TensorStatistics] {
        var out: [TensorStatistics] = []
        out.reserveCapacity(source.tensorInfos.count)
        for info in source.tensorInfos {
            let tensor = try source.tensor(named: info.name)
            let stats = TensorStatistics(of: tensor, name: info.name)
            MappedPages.release(tensor)
            try each(stats)
            out.append(stats)
        }
        return out
    }
}
