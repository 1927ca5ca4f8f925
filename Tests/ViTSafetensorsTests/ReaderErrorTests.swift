import Foundation
import Testing
import ViTTensor
@testable import ViTSafetensors

/// One test per reader rule, each on hand-built bytes, each expecting its exact error case.
@Suite("safetensors reader errors")
struct ReaderErrorTests {
    let f32x2 = [UInt8](repeating: 0, count: 8)

    // MARK: rules 1-4: the length field and the header bytes

    @Test("a file shorter than the 8-byte length field is headerTooSmall")
    func headerTooSmall() {
        #expect(throws: SafetensorsError.headerTooSmall(file: testPath, fileSize: 7)) { try parse([2, 0, 0, 0, 0, 0, 0]) }
        #expect(throws: SafetensorsError.headerTooSmall(file: testPath, fileSize: 0)) { try parse([]) }
    }

    @Test("a header length above 100,000,000 is headerTooLarge, without reading further")
    func headerTooLarge() {
        #expect(throws: SafetensorsError.headerTooLarge(file: testPath, headerLength: 100_000_001, limit: 100_000_000)) {
            try parse(stBytes("{}", n: 100_000_001))
        }
    }

    @Test("a header length of 2^64-1 is headerTooLarge rather than an overflow")
    func headerLengthMax() {
        #expect(throws: SafetensorsError.headerTooLarge(file: testPath, headerLength: UInt64.max, limit: 100_000_000)) {
            try parse(stBytes("{}", n: UInt64.max))
        }
    }

    @Test("a header length running past the end of the file is invalidHeaderLength")
    func invalidHeaderLength() {
        // 8 + 2 + 3 = 13 bytes in the file, header claims 6.
        #expect(throws: SafetensorsError.invalidHeaderLength(file: testPath, headerLength: 6, fileSize: 13)) {
            try parse(stBytes("{}", data: [0x20, 0x20, 0x20], n: 6))
        }
    }

    @Test("a header with an invalid UTF-8 byte is invalidUTF8 at that byte")
    func invalidUTF8() {
        #expect(throws: SafetensorsError.invalidUTF8(file: testPath, offset: 2)) { try parse(stBytes([0x7B, 0x22, 0xFF, 0x22, 0x7D])) }
    }

    @Test("an overlong or surrogate UTF-8 encoding is invalidUTF8")
    func overlongUTF8() {
        // C0 AF is an overlong '/', ED A0 80 is the surrogate U+D800.
        #expect(throws: SafetensorsError.invalidUTF8(file: testPath, offset: 2)) { try parse(stBytes([0x7B, 0x22, 0xC0, 0xAF, 0x22, 0x7D])) }
        #expect(throws: SafetensorsError.invalidUTF8(file: testPath, offset: 2)) {
            try parse(stBytes([0x7B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D]))
        }
        // A sequence cut by the end of the header.
        #expect(throws: SafetensorsError.invalidUTF8(file: testPath, offset: 3)) { try parse(stBytes([0x7B, 0x7D, 0x20, 0xE2, 0x82])) }
    }

    // MARK: rule 5: JSON

    @Test("an empty header is invalidJSON expecting an object")
    func emptyHeader() {
        #expect(throws: SafetensorsError.invalidJSON(file: testPath, offset: 0, expected: "a JSON object", found: "the end of the JSON text")) {
            try parse(stBytes(""))
        }
    }

    @Test("NUL padding after the JSON is invalidJSON at the first NUL")
    func nulPadding() {
        #expect(throws: SafetensorsError.invalidJSON(file: testPath, offset: 2, expected: "the end of the JSON text", found: "a NUL byte")) {
            try parse(stBytes([0x7B, 0x7D, 0, 0, 0, 0, 0, 0]))
        }
    }

    @Test("garbage after the JSON object is invalidJSON")
    func trailingGarbage() {
        #expect(throws: SafetensorsError.invalidJSON(file: testPath, offset: 3, expected: "the end of the JSON text", found: "'x'")) {
            try parse(stBytes("{} x"))
        }
    }

    @Test("a trailing comma in an object is invalidJSON")
    func trailingComma() {
        let h = "{\"a\":\(entry("F32", [2], 0, 8)),}"
        #expect(throws: SafetensorsError.invalidJSON(file: testPath, offset: h.utf8.count - 1, expected: "a string key", found: "'}'")) {
            try parse(stBytes(h, data: f32x2))
        }
    }

    @Test("a byte-order mark before the JSON is invalidJSON")
    func byteOrderMark() {
        #expect(throws: SafetensorsError.invalidJSON(file: testPath, offset: 0, expected: "a JSON object", found: "byte 0xEF")) {
            try parse(stBytes("\u{FEFF}{}"))
        }
    }

    @Test("a number with a leading zero is invalidJSON")
    func leadingZero() {
        let h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[02],\"data_offsets\":[0,8]}}"
        let at = "{\"a\":{\"dtype\":\"F32\",\"shape\":[0".utf8.count  // the '2' after the leading zero
        #expect(throws: SafetensorsError.invalidJSON(file: testPath, offset: at, expected: "no leading zero in a number", found: "'2'")) {
            try parse(stBytes(h, data: f32x2))
        }
    }

    @Test("an unescaped control character inside a string is invalidJSON")
    func controlCharacterInString() {
        #expect(throws: SafetensorsError.invalidJSON(file: testPath, offset: 19,
                                                     expected: "a control character escaped (\\n, \\u0000, ...) inside a string", found: "a tab")) {
            try parse(stBytes("{\"__metadata__\":{\"a\tb\":\"c\"}}"))
        }
    }

    @Test("a lone surrogate escape is invalidJSON")
    func loneSurrogate() {
        // High surrogate followed by a plain character, and a lone low surrogate.
        #expect(parseErrorIsJSON(stBytes("{\"__metadata__\":{\"k\":\"\\ud800x\"}}")))
        #expect(parseErrorIsJSON(stBytes("{\"__metadata__\":{\"k\":\"\\udc00\"}}")))
    }

    @Test("an unterminated header is invalidJSON at the end of the text")
    func unterminated() {
        #expect(throws: SafetensorsError.invalidJSON(file: testPath, offset: 5, expected: "a JSON value", found: "the end of the JSON text")) {
            try parse(stBytes("{\"a\":"))
        }
    }

    @Test("JSON nested 100,000 deep fails fast with jsonTooDeep at depth 65")
    func tooDeep() {
        let prefix = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":"
        let h = prefix + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}}"
        // The top object is depth 1, the entry 2, the first '[' 3; the 63rd '[' is depth 65.
        let start = ContinuousClock.now
        #expect(throws: SafetensorsError.jsonTooDeep(file: testPath, offset: prefix.utf8.count + 62, limit: 64)) {
            try parse(stBytes(h, data: f32x2))
        }
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test("a header that is a JSON array, string or number is headerNotObject")
    func headerNotObject() {
        #expect(throws: SafetensorsError.headerNotObject(file: testPath, found: "an array")) { try parse(stBytes("[]")) }
        #expect(throws: SafetensorsError.headerNotObject(file: testPath, found: "the string \"x\"")) { try parse(stBytes("\"x\"")) }
        #expect(throws: SafetensorsError.headerNotObject(file: testPath, found: "integer `3`")) { try parse(stBytes("3")) }
        #expect(throws: SafetensorsError.headerNotObject(file: testPath, found: "an array")) {
            try parse(stBytes(String(repeating: "[", count: 100_000)))
        }
    }

    @Test("__metadata__ with a non-string value is invalidMetadata naming the key")
    func metadataNonString() {
        #expect(throws: SafetensorsError.invalidMetadata(file: testPath, expected: "an object of string values", found: "key `k` holding integer `3`")) {
            try parse(stBytes("{\"__metadata__\":{\"k\":3}}"))
        }
    }

    @Test("__metadata__ that is not an object is invalidMetadata")
    func metadataNotObject() {
        #expect(throws: SafetensorsError.invalidMetadata(file: testPath, expected: "an object of string values", found: "an array")) {
            try parse(stBytes("{\"__metadata__\":[]}"))
        }
        #expect(throws: SafetensorsError.invalidMetadata(file: testPath, expected: "an object of string values", found: "true")) {
            try parse(stBytes("{\"__metadata__\":true}"))
        }
    }

    @Test("a repeated __metadata__ key is invalidMetadata (the crate keeps the last one silently)")
    func metadataDuplicateKey() {
        #expect(throws: SafetensorsError.invalidMetadata(file: testPath, expected: "an object with distinct keys", found: "key `k` more than once")) {
            try parse(stBytes("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}"))
        }
    }

    @Test("two __metadata__ entries are invalidMetadata")
    func metadataTwice() {
        #expect(throws: SafetensorsError.invalidMetadata(file: testPath, expected: "given once", found: "a second `__metadata__` entry")) {
            try parse(stBytes("{\"__metadata__\":{},\"__metadata__\":{}}"))
        }
    }

    @Test("a tensor name given twice is duplicateTensor (the crate collapses it silently)")
    func duplicateTensor() {
        let h = "{\"a\":\(entry("F32", [2], 0, 8)),\"a\":\(entry("F32", [2], 0, 8))}"
        #expect(throws: SafetensorsError.duplicateTensor(file: testPath, tensor: "a")) { try parse(stBytes(h, data: f32x2)) }
    }

    @Test("a tensor entry that is not an object is entryNotObject")
    func entryNotObject() {
        #expect(throws: SafetensorsError.entryNotObject(file: testPath, tensor: "w", found: "an array")) { try parse(stBytes("{\"w\":[1]}")) }
        #expect(throws: SafetensorsError.entryNotObject(file: testPath, tensor: "w", found: "null")) { try parse(stBytes("{\"w\":null}")) }
    }

    @Test("a tensor entry missing a field is missingField naming it", arguments: ["dtype", "shape", "data_offsets"])
    func missingField(field: String) {
        var fields = ["\"dtype\":\"F32\"", "\"shape\":[2]", "\"data_offsets\":[0,8]"]
        fields.removeAll { $0.hasPrefix("\"\(field)\"") }
        let h = "{\"w\":{\(fields.joined(separator: ","))}}"
        #expect(throws: SafetensorsError.missingField(file: testPath, tensor: "w", field: field)) { try parse(stBytes(h, data: f32x2)) }
    }

    @Test("a tensor entry repeating a field is duplicateField")
    func duplicateField() {
        let h = "{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"
        #expect(throws: SafetensorsError.duplicateField(file: testPath, tensor: "w", field: "dtype")) { try parse(stBytes(h, data: f32x2)) }
    }

    @Test("a dtype that is not a string is invalidField")
    func dtypeNotString() {
        let h = "{\"w\":{\"dtype\":3,\"shape\":[2],\"data_offsets\":[0,8]}}"
        #expect(throws: SafetensorsError.invalidField(file: testPath, tensor: "w", field: "dtype",
                                                      expected: "a dtype string such as \"F32\"", found: "integer `3`")) {
            try parse(stBytes(h, data: f32x2))
        }
    }

    static let malformedShapes: [(String, String)] = [
        ("\"2\"", "the string \"2\""),
        ("[1.5]", "element 0 being floating point `1.5`"),
        ("[2,-1]", "element 1 being negative number `-1`"),
        ("[-0]", "element 0 being negative number `-0`"),
        ("[1e3]", "element 0 being floating point `1e3`"),
        ("[2.0]", "element 0 being floating point `2.0`"),
        ("[9223372036854775808]", "element 0 being integer `9223372036854775808` (larger than 9223372036854775807)"),
        ("[null]", "element 0 being null"),
        ("[[2]]", "element 0 being an array"),
    ]

    @Test("a shape that is not an array of non-negative integers is invalidField", arguments: malformedShapes)
    func badShape(shape: String, found: String) {
        let h = "{\"w\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[0,8]}}"
        #expect(throws: SafetensorsError.invalidField(file: testPath, tensor: "w", field: "shape",
                                                      expected: "an array of non-negative integers", found: found)) {
            try parse(stBytes(h, data: f32x2))
        }
    }

    static let malformedOffsets: [(String, String)] = [
        ("[0]", "1 element"),
        ("[]", "0 elements"),
        ("[0,8,8]", "more than 2 elements"),
        ("[0,8.0]", "element 1 being floating point `8.0`"),
        ("[-1,8]", "element 0 being negative number `-1`"),
        ("{\"begin\":0}", "an object"),
    ]

    @Test("data_offsets that are not two non-negative integers are invalidField", arguments: malformedOffsets)
    func badOffsets(offsets: String, found: String) {
        let h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":\(offsets)}}"
        #expect(throws: SafetensorsError.invalidField(file: testPath, tensor: "w", field: "data_offsets",
                                                      expected: "[begin, end], two non-negative integers", found: found)) {
            try parse(stBytes(h, data: f32x2))
        }
    }

    @Test("an unknown dtype string, including a lower-case one, is unknownDType", arguments: ["f32", "F128", "", "FLOAT"])
    func unknownDType(dtype: String) {
        let h = "{\"w\":\(entry(dtype, [2], 0, 8))}"
        #expect(throws: SafetensorsError.unknownDType(file: testPath, tensor: "w", dtype: dtype)) { try parse(stBytes(h, data: f32x2)) }
    }

    @Test("a valid safetensors dtype ViTKit cannot hold is unsupportedDType",
          arguments: ["F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "C64", "F4", "F6_E2M3", "F6_E3M2"])
    func unsupportedDType(dtype: String) {
        let h = "{\"w\":\(entry(dtype, [2], 0, 8))}"
        #expect(throws: SafetensorsError.unsupportedDType(file: testPath, tensor: "w", dtype: dtype)) { try parse(stBytes(h, data: f32x2)) }
    }

    @Test("every dtype string of the format is either supported or named unsupported")
    func dtypeListIsComplete() {
        #expect(SafetensorsDTypes.allNames.count == 22)
        for name in SafetensorsDTypes.allNames {
            #expect(SafetensorsDTypes.lookup(name) != .unknown, "\(name)")
        }
        #expect(Set(SafetensorsDTypes.supportedNames) == Set(DType.allCases.map(\.rawValue)))
    }

    // MARK: rules 6-10: offsets and sizes

    @Test("data_offsets with begin greater than end is offsetsReversed")
    func offsetsReversed() {
        let h = "{\"w\":\(entry("F32", [2], 8, 0))}"
        #expect(throws: SafetensorsError.offsetsReversed(file: testPath, tensor: "w", begin: 8, end: 0)) { try parse(stBytes(h, data: f32x2)) }
    }

    @Test("a first tensor not starting at offset 0 is invalidOffset naming it")
    func firstNotAtZero() {
        let h = "{\"w\":\(entry("F32", [2], 4, 12))}"
        #expect(throws: SafetensorsError.invalidOffset(file: testPath, tensor: "w", expectedBegin: 0, foundBegin: 4)) {
            try parse(stBytes(h, data: [UInt8](repeating: 0, count: 12)))
        }
    }

    @Test("a gap between tensors is invalidOffset naming the later tensor")
    func gap() {
        let h = "{\"a\":\(entry("F32", [2], 0, 8)),\"b\":\(entry("F32", [1], 12, 16))}"
        #expect(throws: SafetensorsError.invalidOffset(file: testPath, tensor: "b", expectedBegin: 8, foundBegin: 12)) {
            try parse(stBytes(h, data: [UInt8](repeating: 0, count: 16)))
        }
    }

    @Test("overlapping tensors are invalidOffset naming the later tensor in offset order")
    func overlap() {
        // Header order b, a; offset order a [0,8], b [4,12].
        let h = "{\"b\":\(entry("F32", [2], 4, 12)),\"a\":\(entry("F32", [2], 0, 8))}"
        #expect(throws: SafetensorsError.invalidOffset(file: testPath, tensor: "b", expectedBegin: 8, foundBegin: 4)) {
            try parse(stBytes(h, data: [UInt8](repeating: 0, count: 12)))
        }
    }

    @Test("a shape whose byte size overflows 64 bits is invalidShape")
    func shapeOverflow() {
        let big = 1 << 62
        let h = "{\"w\":\(entry("F32", [big, 4], 0, 8))}"
        #expect(throws: SafetensorsError.invalidShape(file: testPath, tensor: "w", shape: [big, 4], dtype: "F32")) {
            try parse(stBytes(h, data: f32x2))
        }
        // Element count fits, bytes do not.
        let h2 = "{\"w\":\(entry("F64", [1 << 61], 0, 8))}"
        #expect(throws: SafetensorsError.invalidShape(file: testPath, tensor: "w", shape: [1 << 61], dtype: "F64")) {
            try parse(stBytes(h2, data: f32x2))
        }
    }

    @Test("data_offsets spanning other than shape × dtype size is tensorSizeMismatch")
    func sizeMismatch() {
        let h = "{\"w\":\(entry("F32", [3], 0, 8))}"
        #expect(throws: SafetensorsError.tensorSizeMismatch(file: testPath, tensor: "w", expectedBytes: 12, foundBytes: 8)) {
            try parse(stBytes(h, data: f32x2))
        }
    }

    @Test("a byte after the last tensor is incompleteBuffer")
    func trailingByte() {
        let h = "{\"w\":\(entry("F32", [2], 0, 8))}"
        #expect(throws: SafetensorsError.incompleteBuffer(file: testPath, dataEnd: 8, dataSize: 9)) { try parse(stBytes(h, data: f32x2 + [0])) }
    }

    @Test("data ending past the end of the file is incompleteBuffer")
    func missingBytes() {
        let h = "{\"w\":\(entry("F32", [2], 0, 8))}"
        #expect(throws: SafetensorsError.incompleteBuffer(file: testPath, dataEnd: 8, dataSize: 7)) {
            try parse(stBytes(h, data: Array(f32x2.dropLast())))
        }
    }

    @Test("data bytes with no tensor at all are incompleteBuffer")
    func dataWithoutTensors() {
        #expect(throws: SafetensorsError.incompleteBuffer(file: testPath, dataEnd: 0, dataSize: 4)) { try parse(stBytes("{}", data: [1, 2, 3, 4])) }
    }

    // MARK: the file object

    @Test("asking for an absent tensor is tensorNotFound naming the file and the tensor")
    func tensorNotFound() throws {
        let path = try writeTemporary(stBytes("{\"w\":\(entry("F32", [2], 0, 8))}", data: f32x2))
        defer { unlink(path) }
        let file = try SafetensorsFile(path: path)
        #expect(throws: SafetensorsError.tensorNotFound(file: path, tensor: "v")) { try file.tensor(named: "v") }
    }

    @Test("a missing file is an io error naming it")
    func missingFile() {
        let path = temporaryPath()
        #expect(throws: SafetensorsError.io(file: path, message: "cannot open: No such file or directory")) { try SafetensorsFile(path: path) }
    }

    @Test("a folder opened as a file is an io error")
    func folderAsFile() {
        #expect(throws: SafetensorsError.io(file: NSTemporaryDirectory(), message: "not a regular file")) {
            try SafetensorsFile(path: NSTemporaryDirectory())
        }
    }

    @Test("the file opener reports the same rule violations as the header parser, naming the real path")
    func fileNamesItsPath() throws {
        let path = try writeTemporary(stBytes("{\"w\":\(entry("F32", [2], 0, 8))}", data: f32x2 + [9]))
        defer { unlink(path) }
        #expect(throws: SafetensorsError.incompleteBuffer(file: path, dataEnd: 8, dataSize: 9)) { try SafetensorsFile(path: path) }
    }
}

/// True when parsing fails with `invalidJSON`.
func parseErrorIsJSON(_ bytes: [UInt8]) -> Bool {
    if case .invalidJSON = parseError(bytes) { return true }
    return false
}
