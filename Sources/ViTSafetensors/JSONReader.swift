/// A strict pull parser for JSON text (RFC 8259) over raw bytes, for safetensors headers and index files.
///
/// Strict where `JSONSerialization` and serde are lenient or lossy: the caller sees every object member in
/// text order, so repeated keys can be refused rather than collapsed; nesting is bounded (`maxDepth`), so
/// 10^5 opening brackets fail at once instead of exhausting the stack; values it is told to skip are
/// checked for syntax but never materialised, so a 100 MB header of junk costs no memory. Anything after
/// the top-level value other than JSON whitespace (e.g. NUL padding) is an error. The parser never traps:
/// every malformed input ends in a `JSONReader.Failure` naming the byte offset.
struct JSONReader {
    /// A syntax error, too-deep nesting or invalid UTF-8, at byte `offset` of the JSON text.
    struct Failure: Error, Equatable {
        enum Kind: Equatable {
            case syntax(expected: String, found: String)
            case tooDeep(limit: Int)
            case invalidUTF8
        }
        let offset: Int
        let kind: Kind
    }

    /// What the next value is, judged from its first byte.
    enum ValueKind: Equatable { case object, array, string, number, literal, invalid, end }

    /// A number's extent in the text and its shape.
    struct Number {
        let start: Int
        let end: Int
        /// No fraction and no exponent.
        let isInteger: Bool
        let isNegative: Bool
    }

    /// Default bound on nesting (serde_json's is 128; a safetensors header needs 3).
    static let defaultMaxDepth = 64

    let bytes: UnsafeRawBufferPointer
    let maxDepth: Int
    private(set) var position = 0

    /// Prepares to read `bytes`, which must be valid UTF-8.
    /// - Throws: `Failure` with kind `.invalidUTF8` at the first bad byte.
    init(bytes: UnsafeRawBufferPointer, maxDepth: Int = JSONReader.defaultMaxDepth) throws {
        if let bad = UTF8Check.firstInvalidOffset(bytes) { throw Failure(offset: bad, kind: .invalidUTF8) }
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    // MARK: - low level

    @inline(__always) private func byte(_ i: Int) -> UInt8? { i < bytes.count ? bytes[i] : nil }

    /// Skips JSON whitespace (space, tab, LF, CR).
    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// A human description of the byte at `i` (or of the end of the text).
    func describeByte(at i: Int) -> String {
        guard let b = byte(i) else { return "the end of the JSON text" }
        switch b {
        case 0x00: return "a NUL byte"
        case 0x20: return "a space"
        case 0x21...0x7E: return "'\(Character(Unicode.Scalar(b)))'"
        case 0x09: return "a tab"
        case 0x0A: return "a line feed"
        case 0x0D: return "a carriage return"
        default:
            let hex = String(b, radix: 16, uppercase: true)
            return "byte 0x\(hex.count == 1 ? "0" + hex : hex)"
        }
    }

    func syntaxError(_ expected: String, at i: Int) -> Failure {
        Failure(offset: i, kind: .syntax(expected: expected, found: describeByte(at: i)))
    }

    private mutating func expectByte(_ c: UInt8, _ what: String) throws {
        skipWhitespace()
        guard byte(position) == c else { throw syntaxError(what, at: position) }
        position += 1
    }

    /// The kind of the next value (after whitespace), without consuming it.
    mutating func peekKind() -> ValueKind {
        skipWhitespace()
        guard let b = byte(position) else { return .end }
        switch b {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"): return .literal
        default: return .invalid
        }
    }

    /// After the top-level value: only whitespace may follow.
    mutating func expectEnd() throws {
        skipWhitespace()
        guard position == bytes.count else { throw syntaxError("the end of the JSON text", at: position) }
    }

    // MARK: - containers

    /// Reads an object, calling `member` with each key (in text order, repeats included) and the key's offset;
    /// `member` must consume the value (read it or `skipValue`).
    /// - Parameter depth: the nesting depth of this object (1 for a top-level object).
    mutating func readObject(depth: Int, _ member: (inout JSONReader, String, Int) throws -> Void) throws {
        skipWhitespace()
        let open = position
        guard byte(position) == UInt8(ascii: "{") else { throw syntaxError("'{'", at: position) }
        guard depth <= maxDepth else { throw Failure(offset: open, kind: .tooDeep(limit: maxDepth)) }
        position += 1
        skipWhitespace()
        if byte(position) == UInt8(ascii: "}") { position += 1; return }
        while true {
            skipWhitespace()
            let keyOffset = position
            guard byte(position) == UInt8(ascii: "\"") else { throw syntaxError("a string key", at: position) }
            let key = try readString()
            try expectByte(UInt8(ascii: ":"), "':' after an object key")
            try member(&self, key, keyOffset)
            skipWhitespace()
            guard let b = byte(position) else { throw syntaxError("',' or '}'", at: position) }
            position += 1
            if b == UInt8(ascii: "}") { return }
            guard b == UInt8(ascii: ",") else { throw syntaxError("',' or '}'", at: position - 1) }
        }
    }

    /// Reads an array, calling `element` with each index; `element` must consume the value.
    /// - Parameter depth: the nesting depth of this array.
    mutating func readArray(depth: Int, _ element: (inout JSONReader, Int) throws -> Void) throws {
        skipWhitespace()
        let open = position
        guard byte(position) == UInt8(ascii: "[") else { throw syntaxError("'['", at: position) }
        guard depth <= maxDepth else { throw Failure(offset: open, kind: .tooDeep(limit: maxDepth)) }
        position += 1
        skipWhitespace()
        if byte(position) == UInt8(ascii: "]") { position += 1; return }
        var index = 0
        while true {
            try element(&self, index)
            index += 1
            skipWhitespace()
            guard let b = byte(position) else { throw syntaxError("',' or ']'", at: position) }
            position += 1
            if b == UInt8(ascii: "]") { return }
            guard b == UInt8(ascii: ",") else { throw syntaxError("',' or ']'", at: position - 1) }
        }
    }

    /// Checks the syntax of the next value and steps over it without building anything.
    /// - Parameter depth: the depth the value would have if it is a container.
    mutating func skipValue(depth: Int) throws {
        switch peekKind() {
        case .object: try readObject(depth: depth) { r, _, _ in try r.skipValue(depth: depth + 1) }
        case .array: try readArray(depth: depth) { r, _ in try r.skipValue(depth: depth + 1) }
        case .string: try skipString()
        case .number: _ = try readNumber()
        case .literal: _ = try readLiteral()
        case .invalid, .end: throw syntaxError("a JSON value", at: position)
        }
    }

    /// Describes the next value for an error message ("an array", "integer `3`", "the string \"x\"", ...).
    /// Scalars are consumed; containers are not. Syntax errors inside the value are thrown.
    mutating func describeValue() throws -> String {
        switch peekKind() {
        case .object: return "an object"
        case .array: return "an array"
        case .string:
            let s = try readString()
            let shown = s.count > 60 ? String(s.prefix(60)) + "…" : s
            return "the string \"\(shown)\""
        case .number: return describe(try readNumber())
        case .literal: return try readLiteral()
        case .invalid, .end: throw syntaxError("a JSON value", at: position)
        }
    }

    // MARK: - scalars

    /// Reads `true`, `false` or `null` and returns its text.
    mutating func readLiteral() throws -> String {
        skipWhitespace()
        for word in ["true", "false", "null"] {
            let w = Array(word.utf8)
            if position + w.count <= bytes.count, (0..<w.count).allSatisfy({ bytes[position + $0] == w[$0] }) {
                position += w.count
                return word
            }
        }
        throw syntaxError("a JSON value", at: position)
    }

    /// Reads a number, checking the JSON grammar (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`).
    mutating func readNumber() throws -> Number {
        skipWhitespace()
        let start = position
        var negative = false
        if byte(position) == UInt8(ascii: "-") { negative = true; position += 1 }
        guard let first = byte(position), isDigit(first) else { throw syntaxError("a digit", at: position) }
        position += 1
        if first != UInt8(ascii: "0") {
            while let b = byte(position), isDigit(b) { position += 1 }
        } else if let b = byte(position), isDigit(b) {
            throw syntaxError("no leading zero in a number", at: position)
        }
        var integer = true
        if byte(position) == UInt8(ascii: ".") {
            integer = false
            position += 1
            guard let b = byte(position), isDigit(b) else { throw syntaxError("a digit after '.'", at: position) }
            while let b = byte(position), isDigit(b) { position += 1 }
        }
        if let e = byte(position), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            integer = false
            position += 1
            if let s = byte(position), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { position += 1 }
            guard let b = byte(position), isDigit(b) else { throw syntaxError("a digit in the exponent", at: position) }
            while let b = byte(position), isDigit(b) { position += 1 }
        }
        return Number(start: start, end: position, isInteger: integer, isNegative: negative)
    }

    @inline(__always) private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// The text of a number as written.
    func text(of n: Number) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[n.start..<n.end]), as: UTF8.self)
    }

    /// The value of a plain non-negative integer literal that fits `Int`; nil for a sign, fraction,
    /// exponent or overflow.
    func nonNegativeInt(_ n: Number) -> Int? {
        guard n.isInteger, !n.isNegative else { return nil }
        var v = 0
        for i in n.start..<n.end {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(bytes[i] &- 0x30))
            if o1 || o2 { return nil }
            v = a
        }
        return v
    }

    /// "integer `3`", "floating point `1.5`", "negative number `-1`", or "integer `…` (larger than …)".
    func describe(_ n: Number) -> String {
        let t = text(of: n)
        if !n.isInteger { return "floating point `\(t)`" }
        if n.isNegative { return "negative number `\(t)`" }
        if nonNegativeInt(n) == nil { return "integer `\(t)` (larger than \(Int.max))" }
        return "integer `\(t)`"
    }

    /// Reads a string value, decoding escapes (surrogate pairs must be complete).
    mutating func readString() throws -> String {
        skipWhitespace()
        guard byte(position) == UInt8(ascii: "\"") else { throw syntaxError("'\"'", at: position) }
        position += 1
        let start = position
        // Fast path: no escapes.
        while let b = byte(position), b != UInt8(ascii: "\""), b != UInt8(ascii: "\\"), b >= 0x20 { position += 1 }
        if byte(position) == UInt8(ascii: "\"") {
            let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            position += 1
            return s
        }
        var out = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
        try readStringTail(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Steps over a string value, checking it.
    mutating func skipString() throws {
        skipWhitespace()
        guard byte(position) == UInt8(ascii: "\"") else { throw syntaxError("'\"'", at: position) }
        position += 1
        var sink: [UInt8] = []
        try readStringTail(into: &sink, keep: false)
    }

    /// Continues a string after its opening quote (and any plain bytes already taken) up to and including
    /// the closing quote.
    private mutating func readStringTail(into out: inout [UInt8], keep: Bool = true) throws {
        while true {
            guard let b = byte(position) else { throw syntaxError("'\"' closing the string", at: position) }
            if b == UInt8(ascii: "\"") { position += 1; return }
            if b < 0x20 { throw syntaxError("a control character escaped (\\n, \\u0000, ...) inside a string", at: position) }
            if b != UInt8(ascii: "\\") {
                if keep { out.append(b) }
                position += 1
                continue
            }
            position += 1
            guard let e = byte(position) else { throw syntaxError("an escape character after '\\'", at: position) }
            position += 1
            let simple: UInt8?
            switch e {
            case UInt8(ascii: "\""): simple = 0x22
            case UInt8(ascii: "\\"): simple = 0x5C
            case UInt8(ascii: "/"): simple = 0x2F
            case UInt8(ascii: "b"): simple = 0x08
            case UInt8(ascii: "f"): simple = 0x0C
            case UInt8(ascii: "n"): simple = 0x0A
            case UInt8(ascii: "r"): simple = 0x0D
            case UInt8(ascii: "t"): simple = 0x09
            case UInt8(ascii: "u"): simple = nil
            default: throw syntaxError("one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u after '\\'", at: position - 1)
            }
            if let simple { if keep { out.append(simple) }; continue }
            let escapeStart = position - 2
            var scalar = try readHex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard byte(position) == UInt8(ascii: "\\"), byte(position + 1) == UInt8(ascii: "u") else {
                    throw syntaxError("a \\uDC00-\\uDFFF low surrogate after the high surrogate at byte \(escapeStart)", at: position)
                }
                position += 2
                let low = try readHex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw syntaxError("a \\uDC00-\\uDFFF low surrogate after the high surrogate at byte \(escapeStart)", at: position - 6)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw syntaxError("no lone low surrogate \\uDC00-\\uDFFF", at: escapeStart)
            }
            if keep, let u = Unicode.Scalar(scalar) { UTF8.encode(u) { out.append($0) } }
        }
    }

    private mutating func readHex4() throws -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let h = byte(position) else { throw syntaxError("four hex digits after \\u", at: position) }
            let d: UInt32
            switch h {
            case 0x30...0x39: d = UInt32(h - 0x30)
            case 0x41...0x46: d = UInt32(h - 0x41 + 10)
            case 0x61...0x66: d = UInt32(h - 0x61 + 10)
            default: throw syntaxError("four hex digits after \\u", at: position)
            }
            v = v << 4 | d
            position += 1
        }
        return v
    }
}

/// UTF-8 validation with the position of the first bad byte (`String(validating:)` gives no position).
enum UTF8Check {
    /// The offset of the first byte that does not start or continue a well-formed UTF-8 sequence
    /// (overlong forms, surrogates and code points above U+10FFFF are ill-formed), or nil.
    static func firstInvalidOffset(_ b: UnsafeRawBufferPointer) -> Int? {
        let n = b.count
        var i = 0
        while i < n {
            // ASCII fast path, eight bytes at a time.
            while i + 8 <= n, b.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { i += 8 }
            guard i < n else { break }
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            let len: Int
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: len = 2
            case 0xE0: len = 3; lo = 0xA0
            case 0xE1...0xEC, 0xEE, 0xEF: len = 3
            case 0xED: len = 3; hi = 0x9F
            case 0xF0: len = 4; lo = 0x90
            case 0xF1...0xF3: len = 4
            case 0xF4: len = 4; hi = 0x8F
            default: return i
            }
            guard i + 1 < n, b[i + 1] >= lo, b[i + 1] <= hi else { return i }
            for k in 2..<len where i + k >= n || b[i + k] < 0x80 || b[i + k] > 0xBF { return i }
            i += len
        }
        return nil
    }
}
