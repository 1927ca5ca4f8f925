import Foundation
import Testing
import ViTTensor
@testable import ViTBin
import ViTTestSupport

/// Bytes of `count` elements of `dtype` covering the awkward values: ±0, ±Inf, NaNs with payloads,
/// subnormals, the largest values, and every byte pattern in rotation.
private func awkwardBytes(_ dtype: DType, count: Int) -> [UInt8] {
    var rng = SplitMix64(state: UInt64(dtype.byteSize * 1000 + count))
    var out: [UInt8] = []
    let specials: [[UInt8]]
    switch dtype {
    case .f32: specials = [0x0000_0000, 0x8000_0000, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0001, 0xFFA0_1234, 0x0000_0001, 0x7F7F_FFFF].map { le32($0) }
    case .f64: specials = [0, 0x8000_0000_0000_0000, 0x7FF0_0000_0000_0000, 0x7FF8_0000_0000_0ABC, 0x0000_0000_0000_0001].map { le64($0) }
    case .f16, .bf16: specials = [[0, 0], [0, 0x80], [0x00, 0x7C], [0x01, 0x7E], [0x01, 0x00], [0xFF, 0x7F], [0x81, 0xFF]]
    default: specials = [[UInt8](repeating: 0xFF, count: dtype.byteSize), [UInt8](repeating: 0, count: dtype.byteSize)]
    }
    for i in 0..<count {
        if i < specials.count { out += specials[i] } else {
            out += (0..<dtype.byteSize).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
    }
    return out
}

@Suite("native .bin: round trips and the fixture")
struct BinRoundTripTests {
    @Test("every dtype round-trips bit for bit, as zero-copy 64-byte-aligned views")
    func everyDType() throws {
        let path = temporaryBinPath("dtypes")
        defer { unlink(path) }
        let shapes: [[Int]] = [[3, 7], [1, 1, 5], [13], [], [0, 4], [2, 2, 2, 2]]
        var tensors: [Tensor] = []
        var infos: [TensorInfo] = []
        for (i, dtype) in DType.allCases.enumerated() {
            let shape = shapes[i % shapes.count]
            let n = Shape.elementCount(shape)!
            let t = try Tensor(dtype: dtype, shape: shape, bytes: awkwardBytes(dtype, count: n))
            tensors.append(t)
            infos.append(TensorInfo(name: "t\(i).\(dtype.shortName)", dtype: dtype, shape: shape))
        }
        try BinWriter.write(to: path, tensors: infos, configJSON: "{\"x\": [1, 2]}", metadata: ["format": "pt", "é": "ü"]) { info in
            tensors[infos.firstIndex(of: info)!]
        }
        let file = try BinFile(path: path)
        #expect(file.formatName == "vitkit-bin")
        #expect(file.formatVersion == 1)
        #expect(file.tensorInfos == infos)
        #expect(file.configJSON == "{\"x\": [1, 2]}")
        #expect(file.metadata == ["format": "pt", "é": "ü"])
        for (info, original) in zip(infos, tensors) {
            let back = try file.tensor(named: info.name)
            #expect(back == original, "\(info.name)")
            #expect(back.isMapped)
            #expect(back.offset % 64 == 0)
        }
    }

    @Test("the writer is deterministic: the same inputs give the same bytes, metadata sorted by key")
    func deterministic() throws {
        let a = temporaryBinPath("det-a"), b = temporaryBinPath("det-b")
        defer { unlink(a); unlink(b) }
        let t = try Tensor(shape: [2, 2], float32: [1, 2, 3, 4])
        let info = [TensorInfo(name: "w", dtype: .f32, shape: [2, 2])]
        try BinWriter.write(to: a, tensors: info, configJSON: nil, metadata: ["z": "1", "a": "2", "m": "3"]) { _ in t }
        try BinWriter.write(to: b, tensors: info, configJSON: nil, metadata: ["m": "3", "z": "1", "a": "2"]) { _ in t }
        let x = try Data(contentsOf: URL(fileURLWithPath: a)), y = try Data(contentsOf: URL(fileURLWithPath: b))
        #expect(x == y)
        #expect(try BinFile(path: a).configJSON == nil)
    }

    @Test("a file written by the independent Python encoder opens, and our writer reproduces it byte for byte")
    func pythonFixture() throws {
        struct Expected: Decodable {
            struct T: Decodable { let name: String; let dtype: String; let shape: [Int]; let offset: Int; let hex: String }
            let config: String
            let metadata: [String: String]
            let tensors: [T]
            let file_size: Int
        }
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: binFixtures.appendingPathComponent("tiny.json")))
        let fixturePath = binFixtures.appendingPathComponent("tiny.bin").path
        let file = try BinFile(path: fixturePath)
        #expect(file.configJSON == expected.config)
        #expect(file.metadata == expected.metadata)
        #expect(file.tensorNames == expected.tensors.map(\.name))
        var tensors: [Tensor] = []
        for e in expected.tensors {
            let t = try file.tensor(named: e.name)
            #expect(t.dtype.rawValue == e.dtype)
            #expect(t.shape == e.shape)
            #expect(t.offset == e.offset)
            let hex = t.bytes.map { String($0, radix: 16).leftPadded(2) }.joined()
            #expect(hex == e.hex, "\(e.name)")
            tensors.append(t)
        }
        let ours = temporaryBinPath("tiny")
        defer { unlink(ours) }
        try BinWriter.write(to: ours, tensors: file.tensorInfos, configJSON: file.configJSON, metadata: file.metadata) { info in
            tensors[file.tensorInfos.firstIndex(of: info)!]
        }
        let a = try Data(contentsOf: URL(fileURLWithPath: ours))
        let b = try Data(contentsOf: URL(fileURLWithPath: fixturePath))
        #expect(a.count == expected.file_size)
        #expect(a == b)
    }

    @Test("format detection looks at the magic only")
    func detection() {
        let magic = BinFormat.magic + [1, 0, 0, 0]
        #expect(magic.withUnsafeBytes { BinFile.looksLikeBin(prefix: $0) })
        #expect(!Array(magic.prefix(7)).withUnsafeBytes { BinFile.looksLikeBin(prefix: $0) })
        #expect(![UInt8]("\u{93}NUMPY\u{01}\u{00}".utf8).withUnsafeBytes { BinFile.looksLikeBin(prefix: $0) })
    }

    @Test("skipping the data checksum still opens a valid file, and verifyChecksum() can run later")
    func skipChecksum() throws {
        let file = try openBin(CraftedBin.valid().bytes(), verifyChecksum: false)
        try file.verifyChecksum()
        #expect(try file.tensor(named: "b").bytes == (0..<10).map { UInt8(100 + $0) })
    }

    @Test("asking for an absent tensor names it")
    func notFound() throws {
        let file = try openBin(CraftedBin.valid().bytes())
        #expect(binError { _ = try file.tensor(named: "zz") } == .tensorNotFound(file: "crafted.bin", name: "zz"))
    }

    @Test("an empty checkpoint (no tensors, no config, no metadata) round-trips")
    func emptyFile() throws {
        let path = temporaryBinPath("empty")
        defer { unlink(path) }
        try BinWriter.write(to: path, tensors: [], configJSON: nil, metadata: [:]) { _ in fatalError("no tensors") }
        let file = try BinFile(path: path)
        #expect(file.tensorInfos.isEmpty && file.metadata.isEmpty && file.configJSON == nil)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == 80)
    }
}

@Suite("native .bin: the writer's checks and atomicity")
struct BinWriterTests {
    let infos = [TensorInfo(name: "a", dtype: .f32, shape: [2]), TensorInfo(name: "b", dtype: .f16, shape: [3])]

    @Test("data must come in list order with the listed dtype, shape and size")
    func checksData() throws {
        let path = temporaryBinPath("checks")
        defer { unlink(path) }
        let w = try BinWriter(path: path, tensors: infos, configJSON: nil, metadata: [:])
        let a = try Tensor(shape: [2], float32: [1, 2])
        #expect(binError { try w.write(a, named: "b") } == .unexpectedTensor(file: path, expected: "a", found: "b"))
        #expect(binError { try w.write(try Tensor(shape: [1, 2], float32: [1, 2]), named: "a") }
                == .shapeMismatch(file: path, tensor: "a", expected: [2], found: [1, 2]))
        #expect(binError { try w.write(try a.converted(to: .f64), named: "a") }
                == .dtypeMismatch(file: path, tensor: "a", expected: .f32, found: .f64))
        #expect(binError { try [UInt8](repeating: 0, count: 7).withUnsafeBytes { try w.write(name: "a", dtype: .f32, shape: [2], bytes: $0) } }
                == .dataSizeMismatch(file: path, tensor: "a", expected: 8, found: 7))
        try w.write(a, named: "a")
        #expect(binError { try w.finish() } == .missingTensors(file: path, names: ["b"]))
        try w.write(try Tensor(shape: [3], float32: [1, 2, 3]).converted(to: .f16), named: "b")
        try w.finish()
        #expect(try BinFile(path: path).tensor(named: "b").floats() == [1, 2, 3])
    }

    @Test("an abandoned writer leaves no file and no temporary file behind")
    func abandoned() throws {
        let folder = NSTemporaryDirectory() + "vitkit-bin-abandon-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/model.bin"
        do {
            let w = try BinWriter(path: path, tensors: infos, configJSON: nil, metadata: [:])
            try w.write(try Tensor(shape: [2], float32: [1, 2]), named: "a")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test("finishing twice, extra tensors, bad lists and existing outputs are refused")
    func refusals() throws {
        let path = temporaryBinPath("refuse")
        defer { unlink(path) }
        let one = [TensorInfo(name: "a", dtype: .f32, shape: [2])]
        let w = try BinWriter(path: path, tensors: one, configJSON: nil, metadata: [:])
        try w.write(try Tensor(shape: [2], float32: [1, 2]), named: "a")
        #expect(binError { try w.write(try Tensor(shape: [2], float32: [1, 2]), named: "x") }
                == .unexpectedTensor(file: path, expected: nil, found: "x"))
        try w.finish()
        #expect(binError { try w.finish() } == .writerFinished(file: path))
        #expect(binError { _ = try BinWriter(path: path, tensors: one, configJSON: nil, metadata: [:]) }
                == .write(.outputExists(path: path)))
        let other = temporaryBinPath("refuse2")
        #expect(binError { _ = try BinWriter(path: other, tensors: one + one, configJSON: nil, metadata: [:]) }
                == .duplicateTensorName(file: other, name: "a"))
        #expect(binError { _ = try BinWriter(path: other, tensors: [TensorInfo(name: "", dtype: .f32, shape: [1])], configJSON: nil, metadata: [:]) }
                == .emptyTensorName(file: other))
        #expect(binError { _ = try BinWriter(path: other, tensors: [TensorInfo(name: "n", dtype: .f32, shape: [-1])], configJSON: nil, metadata: [:]) }
                == .invalidShape(file: other, tensor: "n", shape: [-1]))
        #expect(binError { _ = try BinWriter(path: other, tensors: [TensorInfo(name: "h", dtype: .f64, shape: [1 << 40, 1 << 40])], configJSON: nil, metadata: [:]) }
                == .invalidShape(file: other, tensor: "h", shape: [1 << 40, 1 << 40]))
        #expect(access(other, F_OK) != 0)
    }
}
