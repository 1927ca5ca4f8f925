import Foundation
import Testing
import ViTTensor
@testable import ViTSafetensors
import ViTTestSupport

/// A fresh empty folder in the temporary directory.
func temporaryFolder() throws -> String {
    let p = NSTemporaryDirectory() + "vitkit-st-dir-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: false)
    return p
}

/// The bytes of the file at `path`.
func fileBytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

@Suite("safetensors writer")
struct WriterTests {
    /// Bytes of `count` elements of `dtype` covering edge values (NaN, ±Inf, ±0, subnormals, extremes).
    static func sampleBytes(_ dtype: DType, count: Int) -> [UInt8] {
        var rng = SplitMix64(seed: UInt64(dtype.safetensorsOrder) + 1)
        var out = (0..<(count * dtype.byteSize)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let specials: [[UInt8]]
        switch dtype {
        case .f16: specials = [[0x00, 0x7E], [0x00, 0x7C], [0x00, 0xFC], [0x00, 0x80], [0x01, 0x00], [0xFF, 0x7B]]
        case .bf16: specials = [[0xC0, 0x7F], [0x80, 0x7F], [0x80, 0xFF], [0x00, 0x80], [0x01, 0x00], [0x7F, 0x7F]]
        case .f32: specials = [[0, 0, 0xC0, 0x7F], [0, 0, 0x80, 0x7F], [0, 0, 0, 0x80], [1, 0, 0, 0]]
        case .bool: return (0..<count).map { UInt8($0 % 2) }
        default: specials = []
        }
        for (i, s) in specials.enumerated() where (i + 1) * s.count <= out.count {
            out.replaceSubrange((i * s.count)..<((i + 1) * s.count), with: s)
        }
        return out
    }

    @Test("every dtype round-trips write → read with identical bytes, shapes and order")
    func roundTripAllDTypes() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        var tensors: [(String, Tensor)] = []
        for (i, d) in DType.allCases.enumerated() {
            let shape = i % 3 == 0 ? [2, 3] : (i % 3 == 1 ? [7] : [])
            let n = shape.reduce(1, *)
            tensors.append(("t.\(d.shortName)", try Tensor(dtype: d, shape: shape, bytes: Self.sampleBytes(d, count: n))))
        }
        tensors.append(("empty", try Tensor(dtype: .f32, shape: [0, 5], bytes: [])))
        try SafetensorsWriter.write(tensors: tensors, metadata: ["format": "pt", "ünïcode": "välue\n"], to: path)
        let file = try SafetensorsFile(path: path)
        #expect(file.tensorNames == tensors.map(\.0))
        #expect(file.metadata == ["format": "pt", "ünïcode": "välue\n"])
        for (name, t) in tensors {
            let back = try file.tensor(named: name)
            #expect(back == t, "\(name)")
            #expect(back.bytes == t.bytes, "\(name)")
        }
        #expect(file.header.headerLength % 8 == 0)
    }

    @Test("the header matches safetensors.torch.save_file byte for byte for the same tensors in aligned order")
    func headerMatchesPython() throws {
        // Made by safetensors 0.8.0: save_file({'b': zeros(3, f16), 'a': ones(2), 'z': zeros(0, 4),
        // 'é\n\x01"/\x7f': zeros(1, bf16)}, metadata={'alpha': 'x\x01\t"é'}).
        let python = unhex("18010000000000007b225f5f6d657461646174615f5f223a7b22616c706861223a22785c75303030315c745c22c3a9227d2c2261223a7b226474797065223a22463332222c227368617065223a5b325d2c22646174615f6f666673657473223a5b302c385d7d2c227a223a7b226474797065223a22463332222c227368617065223a5b302c345d2c22646174615f6f666673657473223a5b382c385d7d2c22c3a95c6e5c75303030315c222f7f223a7b226474797065223a2242463136222c227368617065223a5b315d2c22646174615f6f666673657473223a5b382c31305d7d2c2262223a7b226474797065223a22463136222c227368617065223a5b335d2c22646174615f6f666673657473223a5b31302c31365d7d7d202020202020200000803f0000803f0000000000000000")
        let infos = SafetensorsWriter.alignedOrder([
            TensorInfo(name: "b", dtype: .f16, shape: [3]), TensorInfo(name: "a", dtype: .f32, shape: [2]),
            TensorInfo(name: "z", dtype: .f32, shape: [0, 4]), TensorInfo(name: "é\n\u{1}\"/\u{7F}", dtype: .bf16, shape: [1]),
        ])
        #expect(infos.map(\.name) == ["a", "z", "é\n\u{1}\"/\u{7F}", "b"])
        let header = try SafetensorsWriter.headerBytes(tensors: infos, metadata: ["alpha": "x\u{1}\t\"é"], path: testPath)
        #expect(hex(header) == hex(Array(python.prefix(header.count))))
        #expect(header.count == python.count - 16)
    }

    @Test("an empty checkpoint is {} padded to 8 bytes, as the reference writer makes it")
    func emptyHeader() throws {
        #expect(try SafetensorsWriter.headerBytes(tensors: [], metadata: [:], path: testPath) == stBytes("{}      "))
        #expect(try SafetensorsWriter.headerBytes(tensors: [], metadata: ["a": "b"], path: testPath) == stBytes("{\"__metadata__\":{\"a\":\"b\"}}      "))
    }

    @Test("the writer keeps the declared order, puts __metadata__ first with keys in byte order, and pads with spaces")
    func declaredOrder() throws {
        let infos = [TensorInfo(name: "z", dtype: .u8, shape: [1]), TensorInfo(name: "a", dtype: .f32, shape: [1])]
        let header = try SafetensorsWriter.headerBytes(tensors: infos, metadata: ["b": "2", "B": "1", "a": "0"], path: testPath)
        let text = String(decoding: header.dropFirst(8), as: UTF8.self)
        #expect(text == "{\"__metadata__\":{\"B\":\"1\",\"a\":\"0\",\"b\":\"2\"},\"z\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[1,5]}}" + String(repeating: " ", count: 5))  // 147 bytes of JSON + 5
        #expect((header.count - 8) % 8 == 0)
    }

    @Test("every control character and non-ASCII metadata survives escaping and reads back equal")
    func escaping() throws {
        let nasty = String((0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) }) + "\"\\/\u{7F}é😀\u{2028}"
        let header = try SafetensorsWriter.headerBytes(tensors: [TensorInfo(name: nasty, dtype: .u8, shape: [0])],
                                                       metadata: [nasty: nasty, "": ""], path: testPath)
        let text = String(decoding: header.dropFirst(8), as: UTF8.self)
        #expect(text.contains("\\u0000\\u0001"))
        #expect(text.contains("\\b\\t\\n\\u000b\\f\\r"))
        #expect(text.contains("\\u001f\\\"\\\\/\u{7F}é😀\u{2028}"))
        let back = try parse(header)
        #expect(back.metadata == [nasty: nasty, "": ""])
        #expect(back.entries.map(\.name) == [nasty])
    }

    @Test("the fill and raw-bytes variants write the same file as tensors do")
    func variants() throws {
        let a = try Tensor(shape: [2], float32: [1, 2])
        let b = try Tensor(dtype: .u8, shape: [3], bytes: [9, 8, 7])
        let p1 = temporaryPath(), p2 = temporaryPath()
        defer { unlink(p1); unlink(p2) }
        try SafetensorsWriter.write(tensors: [("a", a), ("b", b)], to: p1)
        let w = try SafetensorsWriter(path: p2, tensors: [TensorInfo(name: "a", dtype: .f32, shape: [2]), TensorInfo(name: "b", dtype: .u8, shape: [3])])
        #expect(w.nextTensor?.name == "a")
        try w.write("a") { buf in
            #expect(buf.count == 8)
            #expect(buf.allSatisfy { $0 == 0 })
            buf.storeBytes(of: Float(1), toByteOffset: 0, as: Float.self)
            buf.storeBytes(of: Float(2), toByteOffset: 4, as: Float.self)
        }
        try [UInt8]([9, 8, 7]).withUnsafeBytes { try w.write("b", bytes: $0) }
        #expect(w.nextTensor == nil)
        try w.finish()
        #expect(try fileBytes(p1) == fileBytes(p2))
    }

    // MARK: errors

    @Test("duplicate tensor names are refused with duplicateTensor")
    func duplicateNames() {
        let infos = [TensorInfo(name: "a", dtype: .u8, shape: [1]), TensorInfo(name: "a", dtype: .u8, shape: [1])]
        #expect(throws: SafetensorsError.duplicateTensor(file: "x", tensor: "a")) { try SafetensorsWriter(path: "x", tensors: infos) }
    }

    @Test("a tensor called __metadata__ is refused with reservedName")
    func reserved() {
        #expect(throws: SafetensorsError.reservedName(file: "x")) {
            try SafetensorsWriter(path: "x", tensors: [TensorInfo(name: "__metadata__", dtype: .u8, shape: [1])])
        }
    }

    @Test("a negative or overflowing shape is refused with invalidShape")
    func writerInvalidShape() {
        #expect(throws: SafetensorsError.invalidShape(file: "x", tensor: "a", shape: [-1], dtype: "U8")) {
            try SafetensorsWriter(path: "x", tensors: [TensorInfo(name: "a", dtype: .u8, shape: [-1])])
        }
        #expect(throws: SafetensorsError.invalidShape(file: "x", tensor: "b", shape: [1 << 62], dtype: "F32")) {
            try SafetensorsWriter(path: "x", tensors: [TensorInfo(name: "b", dtype: .f32, shape: [1 << 62])])
        }
        // Each fits, the sum of offsets does not.
        let half = Int.max / 2 + 1
        #expect(throws: SafetensorsError.invalidShape(file: "x", tensor: "d", shape: [half], dtype: "U8")) {
            try SafetensorsWriter(path: "x", tensors: [TensorInfo(name: "c", dtype: .u8, shape: [half]), TensorInfo(name: "d", dtype: .u8, shape: [half])])
        }
    }

    @Test("data out of the declared order is unexpectedTensor, and the writer stays usable")
    func outOfOrder() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        let w = try SafetensorsWriter(path: path, tensors: [TensorInfo(name: "a", dtype: .u8, shape: [1]), TensorInfo(name: "b", dtype: .u8, shape: [1])])
        let one = try Tensor(dtype: .u8, shape: [1], bytes: [1])
        #expect(throws: SafetensorsError.unexpectedTensor(file: path, expected: "a", found: "b")) { try w.write("b", one) }
        try w.write("a", one)
        try w.write("b", one)
        #expect(throws: SafetensorsError.unexpectedTensor(file: path, expected: nil, found: "c")) { try w.write("c", one) }
        try w.finish()
        #expect(try SafetensorsFile(path: path).tensorNames == ["a", "b"])
    }

    @Test("data with another dtype or shape than declared is tensorInfoMismatch")
    func infoMismatch() throws {
        let w = try SafetensorsWriter(path: temporaryPath(), tensors: [TensorInfo(name: "a", dtype: .f32, shape: [2])])
        #expect(throws: SafetensorsError.tensorInfoMismatch(file: w.path, tensor: "a", expected: "F32 (2,)", found: "F16 (2,)")) {
            try w.write("a", try Tensor(dtype: .f16, shape: [2], bytes: [0, 0, 0, 0]))
        }
        #expect(throws: SafetensorsError.tensorInfoMismatch(file: w.path, tensor: "a", expected: "F32 (2,)", found: "F32 (1, 2)")) {
            try w.write("a", try Tensor(shape: [1, 2], float32: [0, 0]))
        }
    }

    @Test("raw bytes of the wrong length are byteCountMismatch")
    func wrongByteCount() throws {
        let w = try SafetensorsWriter(path: temporaryPath(), tensors: [TensorInfo(name: "a", dtype: .f32, shape: [2])])
        #expect(throws: SafetensorsError.byteCountMismatch(file: w.path, tensor: "a", expectedBytes: 8, foundBytes: 7)) {
            try [UInt8](repeating: 0, count: 7).withUnsafeBytes { try w.write("a", bytes: $0) }
        }
    }

    @Test("finish before every tensor is written is missingTensors and writes no file")
    func missing() throws {
        let path = temporaryPath()
        let w = try SafetensorsWriter(path: path, tensors: [TensorInfo(name: "a", dtype: .u8, shape: [1]), TensorInfo(name: "b", dtype: .u8, shape: [0])])
        #expect(throws: SafetensorsError.missingTensors(file: path, tensors: ["a", "b"])) { try w.finish() }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("using the writer after finish is writerClosed")
    func afterFinish() throws {
        let path = temporaryPath()
        defer { unlink(path) }
        let w = try SafetensorsWriter(path: path, tensors: [])
        try w.finish()
        #expect(throws: SafetensorsError.writerClosed(file: path)) { try w.finish() }
        #expect(throws: SafetensorsError.writerClosed(file: path)) { try w.write("a") { _ in } }
        #expect(try fileBytes(path) == stBytes("{}      "))
    }

    @Test("an error thrown by fill is rethrown, writes nothing and leaves the same tensor next")
    func fillThrows() throws {
        struct Boom: Error, Equatable {}
        let path = temporaryPath()
        defer { unlink(path) }
        let w = try SafetensorsWriter(path: path, tensors: [TensorInfo(name: "a", dtype: .u8, shape: [2])])
        #expect(throws: Boom()) { try w.write("a") { _ in throw Boom() } }
        #expect(w.nextTensor?.name == "a")
        try w.write("a") { $0[0] = 5; $0[1] = 6 }
        try w.finish()
        #expect(try SafetensorsFile(path: path).tensor(named: "a").bytes == [5, 6])
    }

    @Test("a writer dropped before finish leaves no file and no temporary file in the folder")
    func abandoned() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/model.safetensors"
        do {
            let w = try SafetensorsWriter(path: path, tensors: [TensorInfo(name: "a", dtype: .u8, shape: [1])])
            try w.write("a", try Tensor(dtype: .u8, shape: [1], bytes: [1]))
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).count == 1)  // the temporary file
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test("an existing file is kept unless overwrite is allowed")
    func overwrite() throws {
        let path = try writeTemporary([1, 2, 3])
        defer { unlink(path) }
        #expect(throws: AtomicFileError.outputExists(path: path)) { try SafetensorsWriter.write(tensors: [], to: path) }
        #expect(try fileBytes(path) == [1, 2, 3])
        try SafetensorsWriter.write(tensors: [], to: path, overwrite: true)
        #expect(try fileBytes(path) == stBytes("{}      "))
    }
}
