import Foundation
import ViTNumpy
import ViTSafetensors
import ViTTensor
@testable import ViTModel
import ViTTestSupport

/// One forward-pass fixture made by tools/fixtures_model.py with timm.
struct ModelFixture {
    let name: String
    let config: ViTConfig
    let tensors: [String: Tensor]
    let input: Tensor
    let logits: [Float]

    /// fixtures/model, three levels up from this file.
    static let root = Fixtures.url("model")

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

/// Every tensor of a safetensors file (views into its mapping).
func readSafetensors(_ path: String) throws -> [String: Tensor] {
    let file = try SafetensorsFile(path: path)
    var out: [String: Tensor] = [:]
    for info in file.tensorInfos { out[info.name] = try file.tensor(named: info.name) }
    return out
}
