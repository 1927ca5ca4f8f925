import Foundation
import Testing
import ViTTensor
@testable import ViTSafetensors

/// What the reference reader accepts, we accept too.
@Suite("safetensors reader acceptance")
struct ReaderAcceptanceTests {
    @Test("a header not padded to 8 bytes is accepted")
    func unpaddedHeader() throws {
        let h = "{\"w\":\(entry("U8", [3], 0, 3))}"
        #expect(h.utf8.count % 8 != 0)
        let header = try parse(stBytes(h, data: [1, 2, 3]))
        #expect(header.headerLength == h.utf8.count)
        #expect(header.entries.map(\.name) == ["w"])
    }

    @Test("entries in any header order come back in data-offset order")
    func anyOrder() throws {
        let h = "{\"c\":\(entry("U8", [1], 3, 4)),\"a\":\(entry("U8", [2], 1, 3)),\"b\":\(entry("U8", [1], 0, 1))}"
        let header = try parse(stBytes(h, data: [1, 2, 3, 4]))
        #expect(header.entries.map(\.name) == ["b", "a", "c"])
        #expect(header.entries.map(\.begin) == [0, 1, 3])
    }

    @Test("an empty object with no data (a 10-byte file) is an empty checkpoint")
    func emptyObject() throws {
        let bytes = stBytes("{}")
        #expect(bytes.count == 10)
        let header = try parse(bytes)
        #expect(header.entries.isEmpty)
        #expect(header.metadata.isEmpty)
    }

    @Test("zero-size tensors, several at one offset, are accepted and keep header order among themselves")
    func zeroSize() throws {
        let h = "{\"z2\":\(entry("F32", [0, 4], 0, 0)),\"w\":\(entry("F32", [2], 0, 8)),\"z1\":\(entry("F16", [3, 0], 0, 0))}"
        let header = try parse(stBytes(h, data: [UInt8](repeating: 7, count: 8)))
        #expect(header.entries.map(\.name) == ["z2", "z1", "w"])
        #expect(header.entries[0].shape == [0, 4])
    }

    @Test("a scalar (shape []) holds one element")
    func scalar() throws {
        let h = "{\"s\":\(entry("F64", [], 0, 8))}"
        let header = try parse(stBytes(h, data: withUnsafeBytes(of: 2.5) { Array($0) }))
        #expect(header.entries[0].shape == [])
        #expect(header.entries[0].info.elementCount == 1)
    }

    @Test("unknown extra fields inside an entry, however nested, are ignored")
    func unknownFields() throws {
        let h = "{\"w\":{\"x\":[[{\"y\":null,\"y\":true}],-1.5e-3,\"s\"],\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"z\":{}}}"
        let header = try parse(stBytes(h, data: [42]))
        #expect(header.entries == [SafetensorsHeader.Entry(name: "w", dtype: .u8, shape: [1], begin: 0, end: 1)])
    }

    @Test("whitespace before and after the JSON, and between tokens, is accepted")
    func whitespace() throws {
        let h = " \t\n\r{ \"w\" :\n{ \"dtype\" : \"U8\" , \"shape\" : [ 1 ] , \"data_offsets\" : [ 0 , 1 ] } }\n   "
        let header = try parse(stBytes(h, data: [42]))
        #expect(header.entries.map(\.name) == ["w"])
    }

    @Test("__metadata__ null is accepted as no metadata, as the crate does")
    func metadataNull() throws {
        let header = try parse(stBytes("{\"__metadata__\":null}"))
        #expect(header.metadata.isEmpty)
    }

    @Test("__metadata__ anywhere in the object is the metadata, with escapes and non-ASCII decoded")
    func metadataDecoded() throws {
        let h = "{\"w\":\(entry("U8", [1], 0, 1)),\"__metadata__\":{\"format\":\"pt\",\"k\\n\\\"\":\"\\u00e9\\ud83d\\ude00\\/é\\t\"}}"
        let header = try parse(stBytes(h, data: [0]))
        #expect(header.metadata == ["format": "pt", "k\n\"": "é😀/é\t"])
    }

    @Test("tensor names with escapes and non-ASCII characters are decoded")
    func nameDecoded() throws {
        let h = "{\"bl\\u00f6cks.0\\\\x\":\(entry("U8", [1], 0, 1))}"
        let header = try parse(stBytes(h, data: [0]))
        #expect(header.entries.map(\.name) == ["blöcks.0\\x"])
    }

    @Test("the largest allowed header length passes the length rules (and fails only on the JSON)")
    func headerLengthLimit() {
        // n = 100,000,000 exactly is allowed; with a short file it is the length rule 3 that fails.
        #expect(throws: SafetensorsError.invalidHeaderLength(file: testPath, headerLength: 100_000_000, fileSize: 10)) {
            try parse(stBytes("{}", n: 100_000_000))
        }
    }

    @Test("every supported dtype is read with its size", arguments: DType.allCases)
    func everyDType(dtype: DType) throws {
        let n = 3 * dtype.byteSize
        let h = "{\"w\":\(entry(dtype.rawValue, [3], 0, n))}"
        let header = try parse(stBytes(h, data: [UInt8](repeating: 1, count: n)))
        #expect(header.entries[0].dtype == dtype)
    }

    @Test("a tensor is a zero-copy view into the mapped file with the stored bytes")
    func zeroCopy() throws {
        let values: [Float] = [1.5, -2, .infinity]
        let data = values.withUnsafeBytes { Array($0) } + [0xAB, 0xCD]
        let h = "{\"__metadata__\":{\"a\":\"b\"},\"w\":\(entry("F32", [3], 0, 12)),\"h\":\(entry("BF16", [1], 12, 14))}"
        let path = try writeTemporary(stBytes(h, data: data))
        defer { unlink(path) }
        let file = try SafetensorsFile(path: path)
        #expect(file.formatName == "safetensors")
        #expect(file.tensorNames == ["w", "h"])
        #expect(file.metadata == ["a": "b"])
        #expect(file.configJSON == nil)
        let w = try file.tensor(named: "w")
        #expect(w.isMapped)
        #expect(w.shape == [3])
        #expect(w.floats() == values)
        #expect(try file.tensor(named: "h").bytes == [0xAB, 0xCD])
        #expect(file.fileSize == 8 + h.utf8.count + 14)
        #expect(file.contains("h") && !file.contains("x"))
        // The mapping outlives the file object while a view exists.
        var view: Tensor? = try SafetensorsFile(path: path).tensor(named: "w")
        #expect(view?.floats() == values)
        view = nil
    }

    @Test("an odd offset (unaligned F32 data) is read correctly")
    func unaligned() throws {
        let values: [Float] = [3.25, -0.5]
        let h = "{\"b\":\(entry("U8", [1], 0, 1)),\"w\":\(entry("F32", [2], 1, 9))}"
        let path = try writeTemporary(stBytes(h, data: [7] + values.withUnsafeBytes { Array($0) }))
        defer { unlink(path) }
        let t = try SafetensorsFile(path: path).tensor(named: "w")
        #expect(t.floats() == values)
        var out = [Float](repeating: 0, count: 2)
        out.withUnsafeMutableBufferPointer { t.copyFloat32(into: $0) }
        #expect(out == values)
    }
}
