/// A whole-name pattern for one row of a convention table.
///
/// The pattern is literal text with placeholders:
/// - `{i}`: a block index (one or more ASCII digits, read as a decimal number; not zero-padded);
/// - `{k}`: an entry index inside a `Sequential` container (digits, like `{i}`);
/// - `{*}`: any text, possibly empty;
/// - `{*.}`: zero or more whole dotted components, each followed by `.`, none of them a number (container
///   prefixes such as `encoder.` or `model.transformer.`; never a position inside a numbered `ModuleList`);
/// - `{a|b|c}`: exactly one of the listed literal alternatives.
///
/// Matching is anchored at both ends: a pattern matches a whole name or nothing, so tables never
/// depend on the order of substring replacements.
struct NamePattern: Sendable, CustomStringConvertible {
    /// One piece of a parsed pattern. Only one case carries a reference: with two (say `[UInt8]` and
    /// `[[UInt8]]`) Swift keeps the case tag in the pointer's spare high bits, which LeakSanitizer cannot
    /// see through, and every table's alternatives were reported as leaked. `oneOf` indexes
    /// `alternatives` instead.
    enum Piece: Sendable, Equatable {
        case literal([UInt8])
        case blockIndex
        case entryIndex
        case any
        case components
        /// `alternatives[n]`.
        case oneOf(Int)
    }

    /// The pattern as written in the table.
    let text: String
    let pieces: [Piece]
    /// The literal alternatives of each `{a|b|c}` placeholder, in order.
    let alternatives: [[[UInt8]]]

    /// Parses `text`. Tables are source code, so a malformed pattern is a programming error caught by the
    /// table tests; it parses as literal text.
    init(_ text: String) {
        self.text = text
        var pieces: [Piece] = []
        var alternatives: [[[UInt8]]] = []
        var literal: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        func flush() { if !literal.isEmpty { pieces.append(.literal(literal)); literal = [] } }
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "{"), let close = bytes[i...].firstIndex(of: UInt8(ascii: "}")) {
                let inner = Array(bytes[(i + 1)..<close])
                flush()
                switch inner {
                case Array("i".utf8): pieces.append(.blockIndex)
                case Array("k".utf8): pieces.append(.entryIndex)
                case Array("*".utf8): pieces.append(.any)
                case Array("*.".utf8): pieces.append(.components)
                default:
                    pieces.append(.oneOf(alternatives.count))
                    alternatives.append(inner.split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false).map(Array.init))
                }
                i = close + 1
            } else {
                literal.append(bytes[i])
                i += 1
            }
        }
        flush()
        self.pieces = pieces
        self.alternatives = alternatives
    }

    var description: String { text }

    /// The indices captured by a successful match.
    struct Captures: Equatable, Sendable {
        var block: Int?
        var entry: Int?
    }

    /// Matches the whole of `name`; nil when it does not match.
    func match(_ name: String) -> Captures? { match(bytes: Array(name.utf8)) }

    /// Matches the whole of a name given as UTF-8 bytes (callers matching many patterns convert once).
    func match(bytes: [UInt8]) -> Captures? {
        // Cheap rejections first: a leading or trailing literal must be there.
        if case let .literal(lit)? = pieces.first, !bytes.starts(with: lit) { return nil }
        if pieces.count > 1, case let .literal(lit)? = pieces.last, !bytes.reversed().starts(with: lit.reversed()) { return nil }
        var captures = Captures()
        return match(bytes, 0, 0, &captures) ? captures : nil
    }

    private func match(_ s: [UInt8], _ at: Int, _ piece: Int, _ captures: inout Captures) -> Bool {
        if piece == pieces.count { return at == s.count }
        switch pieces[piece] {
        case let .literal(lit):
            guard s.count - at >= lit.count, s[at..<(at + lit.count)].elementsEqual(lit) else { return false }
            return match(s, at + lit.count, piece + 1, &captures)
        case let .oneOf(n):
            for lit in alternatives[n] where s.count - at >= lit.count && s[at..<(at + lit.count)].elementsEqual(lit) {
                if match(s, at + lit.count, piece + 1, &captures) { return true }
            }
            return false
        case .any:
            for end in at...s.count {
                var c = captures
                if match(s, end, piece + 1, &c) { captures = c; return true }
            }
            return false
        case .components:
            // Try the empty prefix, then each longer prefix ending at a dot, while no component is a number.
            var start = at
            var end = at
            while true {
                var c = captures
                if match(s, end, piece + 1, &c) { captures = c; return true }
                guard let dot = s[end...].firstIndex(of: UInt8(ascii: ".")) else { return false }
                let component = s[start..<dot]
                if component.isEmpty || component.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) { return false }
                end = dot + 1
                start = end
            }
        case .blockIndex, .entryIndex:
            var end = at
            var value = 0
            while end < s.count, s[end] >= UInt8(ascii: "0"), s[end] <= UInt8(ascii: "9") {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int(s[end] - UInt8(ascii: "0")))
                if o1 || o2 || a > 1_000_000 { return false }
                value = a
                end += 1
            }
            guard end > at else { return false }
            var c = captures
            if pieces[piece] == .blockIndex { c.block = value } else { c.entry = value }
            // Digits are taken greedily: an index is never followed directly by another digit in any table.
            if match(s, end, piece + 1, &c) { captures = c; return true }
            return false
        }
    }
}
