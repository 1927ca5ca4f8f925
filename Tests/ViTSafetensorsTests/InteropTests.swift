import Foundation
import Testing
import ViTTensor
@testable import ViTSafetensors
import ViTTestSupport

/// ViTKit → Python → ViTKit: a file ViTKit wrote, loaded and saved again by `safetensors.torch`, must come
/// back byte-identical. The Python side ran once (tools/fixtures_safetensors.py) and its output is committed,
/// so these tests need no Python.
@Suite("safetensors interop with the Python writer")
struct InteropTests {
    static let writtenPath = safetensorsFixtures.appendingPathComponent("vitkit_written.safetensors").path
    static let resavedPath = safetensorsFixtures.appendingPathComponent("python_resaved.safetensors").path
    static let metadata = ["format": "pt"]

    /// The deterministic tensors behind vitkit_written.safetensors: every dtype torch shares with ViTKit,
    /// a scalar, a zero-size tensor and a non-ASCII name, in the reference writer's order.
    static func tensors() throws -> [(String, Tensor)] {
        var rng = SplitMix64(seed: 2024)
        var out: [(String, Tensor)] = []
        for (i, d) in DType.allCases.enumerated() {
            let shape = [[2, 3], [5], [1, 2, 2]][i % 3]
            let n = shape.reduce(1, *) * d.byteSize
            var bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if d == .bool { bytes = bytes.map { $0 & 1 } }
            out.append(("blocks.\(i).\(d.shortName)", try Tensor(dtype: d, shape: shape, bytes: bytes)))
        }
        out.append(("scalar", try Tensor(shape: [], float32: [0.1])))
        out.append(("empty", try Tensor(dtype: .bf16, shape: [0, 3], bytes: [])))
        out.append(("ünïcode.wéight", try Tensor(shape: [2], float32: [-1, .infinity])))
        let order = SafetensorsWriter.alignedOrder(out.map { TensorInfo(name: $0.0, dtype: $0.1.dtype, shape: $0.1.shape) }).map(\.name)
        let byName = Dictionary(uniqueKeysWithValues: out)
        return order.compactMap { name in byName[name].map { (name, $0) } }
    }

    /// Writes our file to a temporary path and returns its bytes.
    static func ourBytes() throws -> [UInt8] {
        let path = temporaryPath()
        defer { unlink(path) }
        try SafetensorsWriter.write(tensors: try tensors(), metadata: metadata, to: path)
        return try fileBytes(path)
    }

    @Test("regenerates vitkit_written.safetensors and its expectations when VITKIT_WRITE_FIXTURES=1",
          .enabled(if: ProcessInfo.processInfo.environment["VITKIT_WRITE_FIXTURES"] == "1"))
    func writeFixture() throws {
        try SafetensorsWriter.write(tensors: try Self.tensors(), metadata: Self.metadata, to: Self.writtenPath, overwrite: true)
        var tensors: [String: Any] = [:]
        for (name, t) in try Self.tensors() {
            tensors[name] = ["dtype": t.dtype.rawValue, "shape": t.shape, "hex": hex(t.bytes)] as [String: Any]
        }
        let expected: [String: Any] = ["metadata": Self.metadata, "tensors": tensors]
        let json = try JSONSerialization.data(withJSONObject: expected, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: safetensorsFixtures.appendingPathComponent("vitkit_written.expected.json"))
    }

    @Test("the writer reproduces the committed vitkit_written.safetensors byte for byte")
    func deterministic() throws {
        #expect(try Self.ourBytes() == fileBytes(Self.writtenPath))
    }

    @Test("Python's load_file + save_file of our file gives exactly our bytes")
    func pythonResaveIsIdentical() throws {
        let ours = try Self.ourBytes()
        let python = try fileBytes(Self.resavedPath)
        #expect(python.count == ours.count)
        #expect(python == ours)
    }

    @Test("the Python re-saved file reads back as our tensors and metadata")
    func pythonResaveReads() throws {
        let file = try SafetensorsFile(path: Self.resavedPath)
        #expect(file.metadata == Self.metadata)
        let ours = try Self.tensors()
        #expect(file.tensorNames == ours.map(\.0))
        for (name, t) in ours { #expect(try file.tensor(named: name) == t, "\(name)") }
    }
}
