import ViTTensor

/// Errors of the position-embedding resizer. Every case carries the numbers that were wrong.
public enum ResizeError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The embedding width is zero or negative.
    case nonPositiveEmbedDim(Int)
    /// The prefix-token count is negative.
    case negativePrefixTokens(Int)
    /// A grid has a zero or negative side; `which` is `old` or `new`.
    case nonPositiveGrid(which: String, h: Int, w: Int)
    /// The number of values is not a whole number of `embedDim`-wide rows.
    case valueCountNotRows(count: Int, embedDim: Int)
    /// The rows are not `prefixTokens + h·w` (the grid is never guessed).
    case tokenCountMismatch(tokens: Int, prefixTokens: Int, h: Int, w: Int)
    /// `tokens × embedDim` or the new grid's size does not fit in an `Int`.
    case sizeOverflow(tokens: Int, embedDim: Int)
    /// A tensor is neither `(1, tokens, D)` nor `(tokens, D)`.
    case unsupportedShape([Int])
    /// A tensor's dtype is not F32, F16, BF16 or F64 (the dtypes the result can be cast back to).
    case unsupportedDType(DType)

    public var description: String {
        switch self {
        case let .nonPositiveEmbedDim(d):
            return "position embedding width must be positive, found \(d)"
        case let .negativePrefixTokens(n):
            return "prefix token count must be 0 or more, found \(n)"
        case let .nonPositiveGrid(which, h, w):
            return "the \(which) grid must have positive sides, found \(h)×\(w)"
        case let .valueCountNotRows(c, d):
            return "position embedding of \(c) values is not a whole number of rows of width \(d)"
        case let .tokenCountMismatch(t, p, h, w):
            return "position embedding has \(t) rows, expected \(p) prefix + \(h)×\(w) grid = \(p + h * w)"
                + " (pass the grid the checkpoint was trained with; it is never guessed)"
        case let .sizeOverflow(t, d):
            return "position embedding of \(t) tokens × \(d) is too large"
        case let .unsupportedShape(s):
            return "position embedding must have shape (1, tokens, D) or (tokens, D), found \(Shape.describe(s))"
        case let .unsupportedDType(d):
            return "position embedding dtype \(d.rawValue) cannot be resized (expected F32, F16, BF16 or F64)"
        }
    }
}
