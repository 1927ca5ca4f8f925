/// A summary that cannot be computed for the requested batch or image size.
///
/// Inconsistent configs are reported as `ViTConfigError` by `ViTConfig.validate()`.
public enum ViTSummaryError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The batch size is zero or negative.
    case batchNotPositive(Int)
    /// The image size is not two positive numbers (height, width).
    case badImageSize([Int])
    /// The image size is not a whole number of patches.
    case imageNotTiled(imageSize: [Int], patchSize: [Int])
    /// A count would not fit a 64-bit integer (with headroom for byte totals); the value is approximate.
    case tooLarge(quantity: String, approximately: Double)

    public var description: String {
        switch self {
        case let .batchNotPositive(b): return "summary: batch must be positive, found \(b)"
        case let .badImageSize(s): return "summary: image size must be [height, width] > 0, found \(s)"
        case let .imageNotTiled(i, p):
            return "summary: image \(i[0])x\(i[1]) is not a whole number of \(p[0])x\(p[1]) patches"
        case let .tooLarge(q, v): return "summary: \(q) would be about \(v), too large to count exactly"
        }
    }
}
