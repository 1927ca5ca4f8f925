/// A strict parser for the Python dict literal in a `.npy` header:
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
struct NpyDictParser {
    struct Dict {
        var descr: String?
        var fortranOrder: Bool?
        var shape: [Int]?
    }

    private let chars: [UInt8]
    private var i = 0
    private let file: String

    init(text: String, file: String) {
        chars = Array(text.utf8)
        self.file = file
    }

    private func fail(_ detail: String) -> NpyError { .malformedHeader(file: file, detail: detail) }

    private mutating func skipSpace() {
        while i < chars.count, chars[i] == 0x20 || chars[i] == 0x0A || chars[i] == 0x09 || chars[i] == 0x0D { i += 1 }
    }

    private mutating func expect(_ c: UInt8) throws {
        skipSpace()
        guard i < chars.count, chars[i] == c else {
            throw fail("expected '\(Character(Unicode.Scalar(c)))' at offset \(i)")
        }
        i += 1
    }

    private mutating func peek() -> UInt8? {
        skipSpace()
        return i < chars.count ? chars[i] : nil
    }

    private mutating func parseString() throws -> String {
        skipSpace()
        guard i < chars.count, chars[i] == 0x27 || chars[i] == 0x22 else { throw fail("expected a quoted string at offset \(i)") }
        let q = chars[i]
        i += 1
        let s = i
        while i < chars.count, chars[i] != q {
            if chars[i] == 0x5C { throw fail("escape sequences are not allowed in header strings") }
            i += 1
        }
        guard i < chars.count else { throw fail("unterminated string") }
        let str = String(decoding: chars[s..<i], as: UTF8.self)
        i += 1
        return str
    }

    private mutating func parseBool() throws -> Bool {
        skipSpace()
        if chars[i...].starts(with: Array("True".utf8)) { i += 4; return true }
        if chars[i...].starts(with: Array("False".utf8)) { i += 5; return false }
        throw fail("expected True or False at offset \(i)")
    }

    private mutating func parseInt() throws -> Int {
        skipSpace()
        let s = i
        while i < chars.count, chars[i] >= 0x30 && chars[i] <= 0x39 { i += 1 }
        guard i > s, i - s <= 19, let v = Int(String(decoding: chars[s..<i], as: UTF8.self)) else {
            throw fail("expected a non-negative integer dimension at offset \(s)")
        }
        if i < chars.count, chars[i] == 0x4C { i += 1 }  // Python 2 long suffix
        return v
    }

    private mutating func parseShape() throws -> [Int] {
        try expect(0x28)
        var dims: [Int] = []
        if peek() == 0x29 { i += 1; return dims }
        while true {
            dims.append(try parseInt())
            guard dims.count <= 64 else { throw fail("shape has more than 64 dimensions") }
            if peek() == 0x2C {
                i += 1
                if peek() == 0x29 { i += 1; break }
            } else {
                try expect(0x29)
                guard dims.count > 1 else { throw fail("a 1-D shape needs a trailing comma, as in (3,)") }
                break
            }
        }
        return dims
    }

    mutating func parseDict() throws -> Dict {
        var d = Dict()
        try expect(0x7B)
        while peek() != 0x7D {
            guard peek() != nil else { throw fail("unterminated dict") }
            let key = try parseString()
            try expect(0x3A)
            switch key {
            case "descr":
                guard d.descr == nil else { throw fail("duplicate key 'descr'") }
                d.descr = try parseString()
            case "fortran_order":
                guard d.fortranOrder == nil else { throw fail("duplicate key 'fortran_order'") }
                d.fortranOrder = try parseBool()
            case "shape":
                guard d.shape == nil else { throw fail("duplicate key 'shape'") }
                d.shape = try parseShape()
            default:
                throw fail("unexpected key '\(key)'")
            }
            if peek() == 0x2C { i += 1 } else if peek() != 0x7D { throw fail("expected ',' or '}' at offset \(i)") }
        }
        i += 1
        skipSpace()
        guard i == chars.count else { throw fail("unexpected text after the dict at offset \(i)") }
        return d
    }
}
