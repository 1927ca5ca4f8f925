import Foundation
import Testing
import ViTNumpy
import ViTTensor
import ViTZip
import ViTZipTestSupport
@testable import ViTNpz

/// Checks every tensor of `source` against the fixture script's record: order, dtype, shape, bytes.
func expectMatches(_ archive: NpzArchive, _ expected: ExpectedFile) throws {
    #expect(archive.tensorInfos.map(\.name) == expected.tensors.map(\.name))
    #expect(archive.metadata == expected.metadata)
    for e in expected.tensors {
        let t = try archive.tensor(named: e.name)
        #expect(t.dtype.rawValue == e.dtype, "\(e.name)")
        #expect(t.shape == e.shape, "\(e.name)")
        let bytes = t.bytes
        #expect(bytes.count == e.bytes, "\(e.name)")
        #expect(fnv1a64(bytes) == e.fnv1a64, "\(e.name)")
        if let hex = e.hex { #expect(hexString(bytes) == hex, "\(e.name)") }
    }
}

@Suite("npz archives written by numpy")
struct NpzFixtureTests {
    @Test("np.savez and np.savez_compressed archives read bit for bit, in numpy's order",
          arguments: ["npz/stored.npz", "npz/deflated.npz"])
    func numpyArchives(file: String) throws {
        let expected = try #require(try loadExpectedSources()[file])
        let npz = try NpzArchive(path: sourcesFixture(file))
        #expect(npz.formatName == "npz")
        try expectMatches(npz, expected)
    }

    @Test("JAX-style archives of the tiny ViT read bit for bit (original, opt/target, big_vision, scanned)",
          arguments: ["jax/original.npz", "jax/original_opt_target.npz", "jax/big_vision.npz", "jax/big_vision_scanned.npz"])
    func jaxArchives(file: String) throws {
        let expected = try #require(try loadExpectedSources()[file])
        try expectMatches(try NpzArchive(path: sourcesFixture(file)), expected)
    }

    @Test("JAX names are the member paths without .npy, with HWIO and per-head shapes as stored")
    func jaxNames() throws {
        let npz = try NpzArchive(path: sourcesFixture("jax/original.npz"))
        #expect(npz.info(named: "embedding/kernel")?.shape == [4, 4, 3, 16])
        #expect(npz.info(named: "Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query/kernel")?.shape == [16, 2, 8])
        #expect(npz.info(named: "Transformer/encoderblock_1/MultiHeadDotProductAttention_1/out/kernel")?.shape == [2, 8, 16])
        #expect(npz.info(named: "Transformer/posembed_input/pos_embedding")?.shape == [1, 5, 16])
        #expect(npz.info(named: "cls")?.shape == [1, 1, 16])
        #expect(npz.info(named: "head/kernel")?.shape == [16, 5])
        let scanned = try NpzArchive(path: sourcesFixture("jax/big_vision_scanned.npz"))
        #expect(scanned.info(named: "params/Transformer/encoderblock/MultiHeadDotProductAttention_0/query/kernel")?.shape == [2, 16, 2, 8])
        #expect(scanned.info(named: "params/pos_embedding")?.shape == [1, 5, 16])
    }

    @Test("the deflated opt/target archive holds the same bytes as the stored original")
    func prefixedEqualsOriginal() throws {
        let a = try NpzArchive(path: sourcesFixture("jax/original.npz"))
        let b = try NpzArchive(path: sourcesFixture("jax/original_opt_target.npz"))
        #expect(b.tensorNames == a.tensorNames.map { "opt/target/" + $0 })
        for name in a.tensorNames { #expect(try a.tensor(named: name) == (try b.tensor(named: "opt/target/" + name))) }
    }

    @Test("stored little-endian C-order members are zero-copy views; converted and inflated ones are copies")
    func zeroCopy() throws {
        let stored = try NpzArchive(path: sourcesFixture("npz/stored.npz"))
        let t = try stored.tensor(named: "f32")
        #expect(t.isMapped && t.storage === stored.archive.storage)
        #expect(!(try stored.tensor(named: "f32_be")).isMapped)
        #expect(!(try stored.tensor(named: "f32_fortran")).isMapped)
        #expect(stored.header(named: "f32_fortran")?.fortranOrder == true)
        #expect(stored.header(named: "f64_be_fortran")?.bigEndian == true)
        let deflated = try NpzArchive(path: sourcesFixture("npz/deflated.npz"))
        #expect(!(try deflated.tensor(named: "f32")).isMapped)
        #expect(deflated.archive.entries.allSatisfy { $0.method == .deflated })
    }

    @Test("looksLikeNpz accepts numpy archives and rejects torch files, .npy files and missing paths")
    func detection() {
        #expect(NpzArchive.looksLikeNpz(path: sourcesFixture("npz/stored.npz")))
        #expect(NpzArchive.looksLikeNpz(path: sourcesFixture("jax/original_opt_target.npz")))
        #expect(!NpzArchive.looksLikeNpz(path: sourcesFixture("torch/plain.pth")))
        #expect(!NpzArchive.looksLikeNpz(path: sourcesFixture("tiny_vit/input.npy")))
        #expect(!NpzArchive.looksLikeNpz(path: "/nonexistent.npz"))
    }
}
