import Foundation
import Testing
import ViTTensor
@testable import ViTNumpy
import ViTTestSupport

/// Repository root, found from this file's path.
let repoRoot = Fixtures.repository
let npyFixtures = repoRoot.appendingPathComponent("fixtures/numpy")

struct ExpectedArray: Decodable {
    let descr: String
    let shape: [Int]
    let values: [Double]
}

func loadExpected() throws -> [String: ExpectedArray] {
    try JSONDecoder().decode([String: ExpectedArray].self, from: Data(contentsOf: npyFixtures.appendingPathComponent("expected.json")))
}

@Suite("npy files written by numpy")
struct NpyFixtureTests {
    @Test("every numpy-written fixture reads back with numpy's values, shape and C order",
          arguments: ["f32_v1.npy", "f32_v2.npy", "f32_v3.npy", "f32_be.npy", "f32_fortran.npy",
                      "f64_be_fortran.npy", "f16.npy", "i64.npy", "u8_1d.npy", "scalar.npy", "bool.npy"])
    func readsFixture(name: String) throws {
        let expected = try #require(try loadExpected()[name])
        let npy = try NpyFile(path: npyFixtures.appendingPathComponent(name).path)
        #expect(npy.tensor.shape == expected.shape)
        #expect(npy.header.descr == expected.descr)
        let got = npy.tensor.floats()
        #expect(got == expected.values.map { Float($0) })
    }

    @Test("a little-endian C-order float32 file is a zero-copy view into the mapping")
    func zeroCopy() throws {
        let npy = try NpyFile(path: npyFixtures.appendingPathComponent("f32_v1.npy").path)
        #expect(npy.tensor.isMapped)
        #expect(npy.header.version.major == 1)
        #expect(npy.header.dataOffset % 64 == 0)
    }

    @Test("our writer's output parses back to the same header and bytes")
    func writeRoundTrip() throws {
        let t = try Tensor(shape: [2, 3], float32: [1, -2, 3.5, .infinity, 0, -0.0])
        let path = NSTemporaryDirectory() + "vitkit-npy-\(UUID().uuidString).npy"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try NpyFile.write(t, to: path)
        let back = try NpyFile(path: path)
        #expect(back.tensor == t)
        #expect(back.header.descr == "<f4")
        #expect(back.header.dataOffset == 128)  // 10 + 59-byte dict + newline, padded to 64 as numpy does
    }
}
