import Testing
@testable import ViTSafetensors

@Suite("safetensors error messages")
struct ErrorMessageTests {
    /// One instance of every case.
    static let all: [SafetensorsError] = [
        .headerTooSmall(file: "m.st", fileSize: 3),
        .headerTooLarge(file: "m.st", headerLength: 200_000_000, limit: 100_000_000),
        .invalidHeaderLength(file: "m.st", headerLength: 90, fileSize: 50),
        .invalidUTF8(file: "m.st", offset: 4),
        .invalidJSON(file: "m.st", offset: 2, expected: "the end of the JSON text", found: "a NUL byte"),
        .jsonTooDeep(file: "m.st", offset: 70, limit: 64),
        .headerNotObject(file: "m.st", found: "an array"),
        .invalidMetadata(file: "m.st", expected: "an object of string values", found: "key `k` holding integer `3`"),
        .duplicateTensor(file: "m.st", tensor: "a"),
        .entryNotObject(file: "m.st", tensor: "a", found: "null"),
        .missingField(file: "m.st", tensor: "a", field: "dtype"),
        .duplicateField(file: "m.st", tensor: "a", field: "shape"),
        .invalidField(file: "m.st", tensor: "a", field: "shape", expected: "an array of non-negative integers", found: "element 0 being floating point `1.5`"),
        .unknownDType(file: "m.st", tensor: "a", dtype: "f32"),
        .unsupportedDType(file: "m.st", tensor: "a", dtype: "C64"),
        .offsetsReversed(file: "m.st", tensor: "a", begin: 8, end: 0),
        .invalidOffset(file: "m.st", tensor: "a", expectedBegin: 8, foundBegin: 12),
        .invalidShape(file: "m.st", tensor: "a", shape: [-1], dtype: "F32"),
        .tensorSizeMismatch(file: "m.st", tensor: "a", expectedBytes: 12, foundBytes: 8),
        .incompleteBuffer(file: "m.st", dataEnd: 8, dataSize: 9),
        .incompleteBuffer(file: "m.st", dataEnd: 9, dataSize: 8),
        .tensorNotFound(file: "m.st", tensor: "a"),
        .io(file: "m.st", message: "cannot open: No such file or directory"),
        .invalidIndex(file: "i.json", expected: "a `weight_map` object", found: "none"),
        .tensorNotInIndex(file: "i.json", tensor: "a", shard: "s1"),
        .tensorInWrongShard(file: "i.json", tensor: "a", expectedShard: "s1", foundShard: "s2"),
        .tensorMissingFromShard(file: "i.json", tensor: "a", shard: "s1"),
        .noCheckpoint(folder: "dir"),
        .ambiguousCheckpoint(folder: "dir", candidates: ["a.safetensors", "b.safetensors"]),
        .reservedName(file: "m.st"),
        .unexpectedTensor(file: "m.st", expected: "a", found: "b"),
        .unexpectedTensor(file: "m.st", expected: nil, found: "b"),
        .tensorInfoMismatch(file: "m.st", tensor: "a", expected: "F32 (2,)", found: "F16 (2,)"),
        .byteCountMismatch(file: "m.st", tensor: "a", expectedBytes: 8, foundBytes: 7),
        .missingTensors(file: "m.st", tensors: ["a", "b", "c", "d", "e", "f"]),
        .writerClosed(file: "m.st"),
    ]

    @Test("every message reads <file>: <what was expected>, found <what>", arguments: all)
    func shape(error: SafetensorsError) {
        let text = error.description
        let file = ["m.st", "i.json", "dir/config.json", "dir"].first { text.hasPrefix($0 + ": ") }
        #expect(file != nil, "\(text)")
        #expect(text.contains(", found "), "\(text)")
    }

    @Test("messages carry the tensor and the numbers")
    func details() {
        #expect(SafetensorsError.invalidOffset(file: "m.st", tensor: "blocks.0.w", expectedBegin: 8, foundBegin: 12).description
            == "m.st: tensor `blocks.0.w` to start at data offset 8 (tensors are contiguous from 0 in offset order), found 12")
        #expect(SafetensorsError.incompleteBuffer(file: "m.st", dataEnd: 8, dataSize: 9).description
            == "m.st: tensor data covering all 9 bytes after the header, found data ending at 8 (1 trailing bytes)")
        #expect(SafetensorsError.unsupportedDType(file: "m.st", tensor: "a", dtype: "C64").description.contains("found C64"))
        #expect(SafetensorsError.missingTensors(file: "m.st", tensors: ["a", "b", "c", "d", "e", "f"]).description.hasSuffix("found 6 not written (`a`, `b`, `c`, `d`, `e`, …)"))
    }
}
