import Foundation
import ViTNumpy
import ViTTensor
@testable import ViTModel

/// One forward-pass fixture made by tools/fixtures_model.py with timm.
struct ModelFixture {
    let name: String
    let config: ViTConfig
    let tensors: [String: Tensor]
    let input: Tensor
    let logits: [Float]

    /// fixtures/model, three levels up from this file.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures/model")

    /// Fixture names from the manifest.
    static var names: [String] {
        guard let data = try? Data(contentsOf: root.appendingPathComponent("manifest.json")),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cases = json["fixtures"] as? [[String: Any]] else { return [] }
        return cases.compactMap { $0["name"] as? String }
    }

    init(_ name: String) throws {
        let dir = ModelFixture.root.appendingPathComponent(name)
        self.name = name
        config = try ViTConfig.fromJSON(String(contentsOf: dir.appendingPathComponent("config.json"), encoding: .utf8))
        tensors = try readSafetensors(dir.appendingPathComponent("model.safetensors").path)
        input = try NpyFile(path: dir.appendingPathComponent("input.npy").path).tensor
        logits = try NpyFile(path: dir.appendingPathComponent("logits.npy").path).tensor.floats()
    }
}

/// max|a − b| / max(1, max|b|): the parity measure (relative to the reference's scale).
func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    var diff: Float = 0, scale: Float = 1
    for (x, y) in zip(a, b) {
        diff = max(diff, abs(x - y))
        scale = max(scale, abs(y))
    }
    return diff.isNaN ? .infinity : diff / scale
}

struct FixtureFormatError: Error, CustomStringConvertible {
    let description: String
}

/// A minimal safetensors reader for the tests (8-byte header length, JSON header, raw data).
func readSafetensors(_ path: String) throws -> [String: Tensor] {
    let storage = try ByteStorage(mapping: path)
    let bytes = storage.bytes
    guard bytes.count >= 8 else { throw FixtureFormatError(description: "\(path): too short") }
    let n = Int(bytes.loadUnaligned(as: UInt64.self).littleEndian)
    guard 8 + n <= bytes.count else { throw FixtureFormatError(description: "\(path): header past end") }
    let header = Data(bytes[8..<(8 + n)])
    guard let json = try JSONSerialization.jsonObject(with: header) as? [String: Any] else {
        throw FixtureFormatError(description: "\(path): header is not an object")
    }
    var out: [String: Tensor] = [:]
    for (name, value) in json where name != "__metadata__" {
        guard let info = value as? [String: Any], let dt = info["dtype"] as? String, let dtype = DType(rawValue: dt),
              let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
        else { throw FixtureFormatError(description: "\(path): bad entry \(name)") }
        out[name] = try Tensor(dtype: dtype, shape: shape, storage: storage, offset: 8 + n + offsets[0])
    }
    return out
}
