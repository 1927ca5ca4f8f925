import Foundation
import Testing
import ViTMapping
import ViTModel
import ViTSafetensors
import ViTTensor
@testable import ViTInspect
import ViTTestSupport

@Suite("checkpoint comparison")
struct DiffTests {
    @Test("element differences are measured in Float64; NaN = NaN and Inf = Inf, NaN against a number is infinite")
    func values() throws {
        let a = try Tensor(shape: [6], float32: [1, .nan, .infinity, 2, 0, -1])
        let same = CheckpointComparer.compareValues(a, a, tolerance: 0)
        #expect(same.0 == 0 && same.1 == 0)
        let b = try Tensor(shape: [6], float32: [1, .nan, .infinity, 2.5, 0, -1])
        let d = CheckpointComparer.compareValues(a, b, tolerance: 0.1)
        #expect(d.0 == 0.5 && d.1 == 1)
        let c = try Tensor(shape: [6], float32: [1, 7, .infinity, 2, 0, -1])
        #expect(CheckpointComparer.compareValues(a, c, tolerance: 1e9).0 == .infinity)
        // F32 against F64 of the same values: equal; against a value 1e-12 away: seen in Float64.
        let wide = try a.converted(to: .f64)
        #expect(CheckpointComparer.compareValues(a, wide, tolerance: 0).0 == 0)
        let x = try Tensor(dtype: .f64, shape: [1], bytes: withUnsafeBytes(of: 1.0 + 1e-12) { Array($0) })
        let one = try Tensor(shape: [1], float32: [1])
        #expect(abs(CheckpointComparer.compareValues(one, x, tolerance: 0).0 - 1e-12) < 1e-15)
    }

    @Test("values spanning several blocks are compared pairwise at the same positions")
    func blocks() throws {
        let n = 150_000
        var v = [Float](repeating: 1, count: n)
        let a = try Tensor(shape: [n], float32: v)
        v[n - 1] = 4
        v[70_000] = 3
        let b = try Tensor(shape: [n], float32: v)
        let d = CheckpointComparer.compareValues(a, b, tolerance: 0)
        #expect(d.0 == 3 && d.1 == 2)
    }

    @Test("config differences name the JSON key and both values; labels are ignored")
    func config() {
        var a = ViTConfig(embedDim: 64, depth: 2, numHeads: 2)
        var b = a
        b.numHeads = 4
        b.layerNormEps = 1e-12
        a.labels = (0..<1000).map { "a\($0)" }
        #expect(CheckpointComparer.configDifferences(a, b) == [
            ConfigDifference(key: "layer_norm_eps", a: "1e-06", b: "1e-12"),
            ConfigDifference(key: "num_heads", a: "2", b: "4"),
        ])
        #expect(CheckpointComparer.configDifferences(a, a).isEmpty)
    }

    @Test("comparing a checkpoint file with a copy holding one changed tensor and one extra tensor")
    func files() throws {
        let path = Fixtures.path("conventions/timm_plain/model.safetensors")
        let a = try SafetensorsFile(path: path)
        var tensors = try a.tensorInfos.map { ($0.name, try a.tensor(named: $0.name)) }
        let i = try #require(tensors.firstIndex { $0.0 == "head.bias" })
        tensors[i].1 = try Tensor(shape: [10], float32: [Float](repeating: 0.125, count: 10))
        let dir = NSTemporaryDirectory() + "vitkit-inspect-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let copy = dir + "/copy.safetensors"
        try SafetensorsWriter.write(tensors: tensors, metadata: ["num_heads": "2"], to: copy)
        let b = try SafetensorsFile(path: copy)
        let options = MappingOptions(heads: 2)
        let diff = try CheckpointComparer.compare(a, try ViTMapper.plan(a, options: options), b, try ViTMapper.plan(b, options: options))
        #expect(!diff.isEqual)
        #expect(diff.differing.map(\.name) == ["head.bias"])
        let old = try a.tensor(named: "head.bias").floats().map { abs(Double($0) - 0.125) }.max()
        #expect(diff.differing.first?.maxAbsDifference == old)
        #expect(diff.tensors.count == 32)
        #expect(diff.onlyInA.isEmpty && diff.onlyInB.isEmpty && diff.configDifferences.isEmpty)
        #expect(diff.verdict.hasPrefix("differ: 1 tensor(s) over tolerance 0 (of 32 common tensors"))
        let json = try diff.jsonString()
        #expect(json.contains("\"equal\":false"))
    }
}
