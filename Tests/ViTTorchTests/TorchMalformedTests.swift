import Foundation
import Testing
import ViTTensor
import ViTZip
import ViTZipTestSupport
@testable import ViTTorch

/// Writes a torch zip to a temporary file, opens it, and removes the file.
func openTorch(_ bytes: [UInt8], _ body: (String) throws -> Void) throws {
    let path = writeTemporary(bytes, suffix: ".pth")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try body(path)
}

@Suite("malformed or hostile torch.save files are refused with the exact error")
struct TorchMalformedTests {
    let four = floats([1, 2, 3, 4])

    @Test("a hand-built checkpoint reads, with any archive folder name")
    func handBuilt() throws {
        let pickle = PickleBuilder.dict([("w", { $0.tensor(key: "0", numel: 4, size: [2, 2]) })])
        try openTorch(torchZip(pickle: pickle, storages: [("0", four)], archive: "my_model")) { path in
            let c = try TorchCheckpoint(path: path)
            #expect(c.archiveName == "my_model")
            #expect(try c.tensor(named: "w").floats() == [1, 2, 3, 4])
        }
    }

    @Test("listing reads no tensor data: a corrupt storage header only shows when the tensor is read")
    func lazyData() throws {
        let pickle = PickleBuilder.dict([("w", { $0.tensor(key: "0", numel: 4, size: [4]) })])
        let members: [ZipBuilder.Member] = [.init("a/data.pkl", pickle), .init("a/data/0", four)]
        var (bytes, layout) = ZipBuilder.build(members)
        bytes[layout.localHeaders[1]] = 0  // break data/0's local header
        try openTorch(bytes) { path in
            let c = try TorchCheckpoint(path: path)
            #expect(c.tensorInfos == [TensorInfo(name: "w", dtype: .f32, shape: [4])])
            #expect(throws: TorchError.zip(.badLocalHeader(file: path, member: "a/data/0",
                                                           detail: "no local header signature at offset \(layout.localHeaders[1])"))) {
                try c.tensor(named: "w")
            }
        }
    }

    @Test("a storage claiming a billion elements over a 16-byte record is refused at once")
    func billionElementStorage() throws {
        let pickle = PickleBuilder.dict([("w", { $0.tensor(key: "0", numel: 1_000_000_000, size: [1_000_000_000]) })])
        try openTorch(torchZip(pickle: pickle, storages: [("0", four)])) { path in
            let t = ContinuousClock().measure {
                #expect(throws: TorchError.storageSizeMismatch(file: path, key: "0", expected: 4_000_000_000, found: 16)) {
                    try TorchCheckpoint(path: path)
                }
            }
            #expect(t < .milliseconds(200))
        }
    }

    @Test("a view reaching past its storage, or whose extent overflows, is refused")
    func outOfBounds() throws {
        var pickle = PickleBuilder.dict([("w", { $0.tensor(key: "0", numel: 4, offset: 1, size: [4]) })])
        try openTorch(torchZip(pickle: pickle, storages: [("0", four)])) { path in
            #expect(throws: TorchError.tensorOutOfBounds(file: path, tensor: "w", needed: 20, storageBytes: 16)) {
                try TorchCheckpoint(path: path)
            }
        }
        pickle = PickleBuilder.dict([("w", { $0.tensor(key: "0", numel: 4, size: [2, 2], stride: [0x7FFF_FFFF, 0x7FFF_FFFF]) })])
        try openTorch(torchZip(pickle: pickle, storages: [("0", four)])) { path in
            #expect(throws: TorchError.tensorOutOfBounds(file: path, tensor: "w", needed: 17_179_869_180, storageBytes: 16)) {
                try TorchCheckpoint(path: path)
            }
        }
        pickle = PickleBuilder.dict([("w", { $0.tensor(key: "0", numel: 4, size: [2, 2], stride: [1 << 62, 1 << 62]) })])
        try openTorch(torchZip(pickle: pickle, storages: [("0", four)])) { path in
            #expect(throws: TorchError.tensorOutOfBounds(file: path, tensor: "w", needed: Int.max, storageBytes: 16)) {
                try TorchCheckpoint(path: path)
            }
        }
    }

    @Test("a tensor whose storage record is missing is refused naming both")
    func missingStorage() throws {
        let pickle = PickleBuilder.dict([("w", { $0.tensor(key: "7", numel: 4, size: [4]) })])
        try openTorch(torchZip(pickle: pickle, storages: [("0", four)])) { path in
            #expect(throws: TorchError.missingStorage(file: path, tensor: "w", key: "7")) { try TorchCheckpoint(path: path) }
        }
    }

    @Test("non-tensor entries, non-string keys and a non-dict top level are refused")
    func notAStateDict() throws {
        try openTorch(torchZip(pickle: PickleBuilder.dict([("epoch", { $0.int(3) })]), storages: [])) { path in
            #expect(throws: TorchError.notATensor(file: path, key: "epoch", found: "int")) { try TorchCheckpoint(path: path) }
        }
        var p = PickleBuilder()
        p.emptyDict(); p.int(1); p.tensor(key: "0", numel: 4, size: [4]); p.op(0x73); p.stop()
        try openTorch(torchZip(pickle: p.bytes, storages: [("0", four)])) { path in
            #expect(throws: TorchError.nonStringKey(file: path, found: "int")) { try TorchCheckpoint(path: path) }
        }
        try openTorch(torchZip(pickle: [0x80, 2, 0x5D, 0x2E], storages: [])) { path in
            #expect(throws: TorchError.notADict(file: path, found: "list")) { try TorchCheckpoint(path: path) }
        }
        try openTorch(torchZip(pickle: PickleBuilder.dict([("model", { $0.int(1) })]), storages: [])) { path in
            #expect(throws: TorchError.notADict(file: path, found: "int under 'model'")) { try TorchCheckpoint(path: path) }
        }
    }

    @Test("two keys that collide once module. is stripped are refused")
    func duplicateAfterStripping() throws {
        let pickle = PickleBuilder.dict([("module.w", { $0.tensor(key: "0", numel: 4, size: [4]) }),
                                         ("w", { $0.tensor(key: "0", numel: 4, size: [4]) })])
        try openTorch(torchZip(pickle: pickle, storages: [("0", four)])) { path in
            #expect(throws: TorchError.duplicateTensor(file: path, name: "w")) { try TorchCheckpoint(path: path) }
        }
    }

    @Test("torch.compile and DataParallel prefixes are stripped in timm's order and recorded")
    func compiledPrefixes() throws {
        let pickle = PickleBuilder.dict([("_orig_mod.module.w", { $0.tensor(key: "0", numel: 4, size: [4]) })])
        try openTorch(torchZip(pickle: pickle, storages: [("0", four)])) { path in
            let c = try TorchCheckpoint(path: path)
            #expect(c.tensorNames == ["w"])
            #expect(c.metadata == ["vitkit_stripped_prefixes": "_orig_mod.,module."])
        }
    }

    @Test("a byteorder record other than little or big is refused")
    func byteOrder() throws {
        try openTorch(torchZip(pickle: PickleBuilder.dict([]), storages: [], byteorder: "middle")) { path in
            #expect(throws: TorchError.badByteOrder(file: path, found: "middle")) { try TorchCheckpoint(path: path) }
        }
    }

    @Test("two archives in one file are refused, naming them")
    func ambiguous() throws {
        let bytes = torchZip(pickle: PickleBuilder.dict([]), storages: [], extra: [.init("other/data.pkl", [0x80, 2, 0x7D, 0x2E])])
        try openTorch(bytes) { path in
            #expect(throws: TorchError.ambiguousArchive(file: path, archives: ["archive", "other"])) { try TorchCheckpoint(path: path) }
        }
    }

    @Test("disallowed calls and BUILD targets are reported as such, not as malformed pickles")
    func disallowedKinds() throws {
        var p = PickleBuilder()
        p.global("torch", "FloatStorage"); p.op(0x29); p.op(0x52); p.stop()
        try openTorch(torchZip(pickle: p.bytes, storages: [])) { path in
            #expect(throws: TorchError.disallowedCall(file: path, callable: "torch.FloatStorage")) { try TorchCheckpoint(path: path) }
        }
        try openTorch(torchZip(pickle: [0x80, 2, 0x5D, 0x7D, 0x62, 0x2E], storages: [])) { path in
            #expect(throws: TorchError.disallowedBuild(file: path, target: "list")) { try TorchCheckpoint(path: path) }
        }
        try openTorch(torchZip(pickle: [0x80, 2, 0x7D], storages: [])) { path in
            #expect(throws: TorchError.pickle(file: path, error: .missingStop)) { try TorchCheckpoint(path: path) }
        }
    }

    @Test("asking for a tensor that is not there names it")
    func noSuchTensor() throws {
        let path = sourcesFixture("torch/plain.pth")
        #expect(throws: TorchError.noSuchTensor(file: path, name: "module.cls_token")) {
            try TorchCheckpoint(path: path).tensor(named: "module.cls_token")
        }
    }
}
