import Foundation
import Testing
import ViTTensor
import ViTZip
import ViTZipTestSupport
@testable import ViTTorch

/// Checks every tensor of `checkpoint` against the fixture script's record: order, dtype, shape, bytes, metadata.
func expectMatches(_ checkpoint: TorchCheckpoint, _ expected: ExpectedFile) throws {
    #expect(checkpoint.tensorInfos.map(\.name) == expected.tensors.map(\.name))
    #expect(checkpoint.metadata == expected.metadata)
    for e in expected.tensors {
        let t = try checkpoint.tensor(named: e.name)
        #expect(t.dtype.rawValue == e.dtype, "\(e.name)")
        #expect(t.shape == e.shape, "\(e.name)")
        #expect(checkpoint.info(named: e.name)?.dtype == t.dtype && checkpoint.info(named: e.name)?.shape == t.shape)
        let bytes = t.bytes
        #expect(bytes.count == e.bytes, "\(e.name)")
        #expect(fnv1a64(bytes) == e.fnv1a64, "\(e.name)")
        if let hex = e.hex { #expect(hexString(bytes) == hex, "\(e.name)") }
    }
}

@Suite("torch.save files written by torch")
struct TorchFixtureTests {
    @Test("every readable torch.save fixture reads bit for bit, in state-dict order, with its metadata",
          arguments: ["plain.pth", "wrapped.pth", "ema.pth", "views.pth", "dtypes.pth", "parameters.pth", "big_endian.pth"])
    func fixtures(file: String) throws {
        let expected = try #require(try loadExpectedSources()["torch/\(file)"])
        let checkpoint = try TorchCheckpoint(path: sourcesFixture("torch/\(file)"))
        #expect(checkpoint.formatName == "torch-zip")
        try expectMatches(checkpoint, expected)
    }

    @Test("useEMA picks state_dict_ema (a None model_ema is ignored), as timm does")
    func ema() throws {
        let expected = try #require(try loadExpectedSources()["torch/ema.pth#ema"])
        try expectMatches(try TorchCheckpoint(path: sourcesFixture("torch/ema.pth"), useEMA: true), expected)
    }

    @Test("the wrapped checkpoint (module. prefix, optimizer state skipped) holds the plain state dict exactly")
    func wrappedEqualsPlain() throws {
        let plain = try TorchCheckpoint(path: sourcesFixture("torch/plain.pth"))
        let wrapped = try TorchCheckpoint(path: sourcesFixture("torch/wrapped.pth"))
        #expect(wrapped.tensorNames == plain.tensorNames)
        #expect(wrapped.metadata["vitkit_wrapper_key"] == "model")
        #expect(wrapped.metadata["vitkit_stripped_prefixes"] == "module.")
        for name in plain.tensorNames { #expect(try wrapped.tensor(named: name) == (try plain.tensor(named: name))) }
        #expect(plain.tensorNames.contains("blocks.1.attn.qkv.weight") && plain.info(named: "pos_embed")?.shape == [1, 5, 16])
    }

    @Test("contiguous tensors are views into the map that share storages; strided ones are copied into C order")
    func views() throws {
        let c = try TorchCheckpoint(path: sourcesFixture("torch/views.pth"))
        let base = try c.tensor(named: "base"), rows = try c.tensor(named: "rows")
        #expect(base.isMapped && rows.isMapped && base.storage === c.archive.storage && rows.storage === base.storage)
        #expect(rows.offset == base.offset + 6 * 4)
        #expect(c.layout(named: "transposed")?.stride == [1, 6])
        #expect(c.layout(named: "cols")?.storageOffset == 2)
        #expect(c.layout(named: "expanded")?.stride == [0, 1])
        let transposed = try c.tensor(named: "transposed")
        #expect(!transposed.isMapped && transposed.shape == [6, 4])
        let b = base.floats(), t = transposed.floats()
        for i in 0..<4 { for j in 0..<6 { #expect(t[j * 4 + i] == b[i * 6 + j]) } }
        #expect(try c.tensor(named: "scalar").floats() == [3.25])
        #expect(try c.tensor(named: "empty").shape == [0, 4])
    }

    @Test("the big-endian rewrite reads as the same tensors as the little-endian original (torch.load agrees)")
    func bigEndian() throws {
        let big = try TorchCheckpoint(path: sourcesFixture("torch/big_endian.pth"))
        let little = try TorchCheckpoint(path: sourcesFixture("torch/views.pth"))
        #expect(big.bigEndian && !little.bigEndian)
        for name in little.tensorNames { #expect(try big.tensor(named: name) == (try little.tensor(named: name))) }
    }

    @Test("float8, uint16 (through _rebuild_tensor_v3 and UntypedStorage) and bf16 keep their dtypes")
    func dtypes() throws {
        let c = try TorchCheckpoint(path: sourcesFixture("torch/dtypes.pth"))
        #expect(c.info(named: "f8e4m3")?.dtype == .f8e4m3 && c.info(named: "f8e5m2")?.dtype == .f8e5m2)
        #expect(c.info(named: "u16")?.dtype == .u16 && c.info(named: "bf16")?.dtype == .bf16)
        #expect(try c.tensor(named: "u16").bytes == [1, 0, 0xFF, 0xFF])
    }

    @Test("a pickle calling os.system is refused naming posix.system, and nothing runs")
    func evil() throws {
        let path = sourcesFixture("torch/evil.pth")
        #expect(throws: TorchError.disallowedGlobal(file: path, module: "posix", name: "system")) { try TorchCheckpoint(path: path) }
        let message = TorchError.disallowedGlobal(file: path, module: "posix", name: "system").description
        #expect(message.contains("posix.system") && message.contains("nothing was executed"))
    }

    @Test("a legacy (pre-1.6) file is refused with how to re-save it")
    func legacy() throws {
        let path = sourcesFixture("torch/legacy.pth")
        #expect(throws: TorchError.legacyFormat(file: path)) { try TorchCheckpoint(path: path) }
        #expect(TorchError.legacyFormat(file: path).description.contains("torch.save(torch.load("))
        let head = Array(try Data(contentsOf: URL(fileURLWithPath: path)).prefix(16))
        #expect(TorchCheckpoint.looksLikeLegacyTorch(prefix: head))
    }

    @Test("a TorchScript archive is refused as such")
    func torchScript() {
        let path = sourcesFixture("torch/torchscript.pt")
        #expect(throws: TorchError.torchScript(file: path)) { try TorchCheckpoint(path: path) }
    }

    @Test("an npz (a ZIP without data.pkl) and a non-ZIP file are refused with the ZIP-level reason")
    func notTorch() {
        let npz = sourcesFixture("npz/stored.npz")
        #expect(throws: TorchError.noDataPickle(file: npz)) { try TorchCheckpoint(path: npz) }
        let npy = sourcesFixture("tiny_vit/input.npy")
        #expect(throws: TorchError.zip(.notAZip(file: npy))) { try TorchCheckpoint(path: npy) }
    }

    @Test("looksLikeTorchZip accepts torch zips (TorchScript too) and rejects npz, legacy, npy and missing files")
    func detection() throws {
        for f in ["torch/plain.pth", "torch/evil.pth", "torch/torchscript.pt", "torch/big_endian.pth"] {
            #expect(TorchCheckpoint.looksLikeTorchZip(path: sourcesFixture(f)), "\(f)")
        }
        for f in ["npz/stored.npz", "torch/legacy.pth", "tiny_vit/input.npy", "nonexistent.pth"] {
            #expect(!TorchCheckpoint.looksLikeTorchZip(path: sourcesFixture(f)), "\(f)")
        }
        let plainHead = Array(try Data(contentsOf: URL(fileURLWithPath: sourcesFixture("torch/plain.pth"))).prefix(16))
        #expect(!TorchCheckpoint.looksLikeLegacyTorch(prefix: plainHead))
    }
}
