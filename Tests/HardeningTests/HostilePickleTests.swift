import Foundation
import Testing
import ViTTensor
import ViTTorch

/// torch.save checkpoints are pickles, and a pickle is a program. ViTKit's unpickler runs none of it:
/// every global outside the allow-list is refused by name before anything is called, and every size a
/// pickle claims is checked against the bytes that are really there.
@Suite("hostile pickles: no code runs, no claimed size is allocated")
struct HostilePickleTests {
    /// Pickles that would create `marker` if any unpickler ran them, each in the form of a different gadget.
    static func payloads(marker: String) -> [(String, [UInt8])] {
        let command = "touch \(marker)"
        func call(_ module: String, _ name: String, _ arg: (inout Pickle) -> Void) -> [UInt8] {
            Pickle.dict("w") { p in p.global(module, name); p.tuple(arg); p.op(0x52) }
        }
        var stackGlobal = Pickle(proto: 4)
        stackGlobal.op(0x7D); stackGlobal.str("w")
        stackGlobal.str("posix"); stackGlobal.str("system"); stackGlobal.op(0x93)  // STACK_GLOBAL
        stackGlobal.tuple { $0.str(command) }; stackGlobal.op(0x52); stackGlobal.op(0x73); stackGlobal.stop()
        return [
            ("posix.system", call("posix", "system") { $0.str(command) }),
            ("os.system", call("os", "system") { $0.str(command) }),
            ("builtins.exec", call("builtins", "exec") { $0.str("open('\(marker)', 'w')") }),
            ("builtins.eval", call("builtins", "eval") { $0.str("open('\(marker)', 'w')") }),
            ("subprocess.call", call("subprocess", "call") { $0.str(command); $0.op(0x88) }),
            ("STACK_GLOBAL posix.system", stackGlobal.bytes),
            ("INST posix.system", Pickle.dict("w") { p in p.mark(); p.str(command); p.op(0x69); p.bytes += Array("posix\nsystem\n".utf8) }),
            ("OBJ posix.system", Pickle.dict("w") { p in p.mark(); p.global("posix", "system"); p.str(command); p.op(0x6F) }),
            ("tensor rebuild with a system() argument", Pickle.dict("w") { p in
                p.global("torch._utils", "_rebuild_tensor_v2")
                p.tuple { q in q.global("posix", "system"); q.tuple { $0.str(command) }; q.op(0x52) }
                p.op(0x52)
            }),
            ("allowed module, other name", call("torch._utils", "system") { $0.str(command) }),
            ("allowed name with a trailing space", call("torch._utils ", "_rebuild_tensor_v2") { $0.str(command) }),
            ("NEWOBJ of an allowed class with a payload", Pickle.dict("w") { p in
                p.global("collections", "OrderedDict"); p.tuple { q in q.global("posix", "system"); q.tuple { $0.str(command) }; q.op(0x52) }
                p.op(0x81)
            }),
        ]
    }

    @Test("twelve code-execution gadgets are refused by name, naming the file, and nothing runs")
    func noCodeExecution() throws {
        let folder = makeTempFolder("evil")
        defer { removeFolder(folder) }
        let marker = folder + "/pwned"
        for (gadget, pickle) in Self.payloads(marker: marker) {
            let path = folder + "/evil.pth"
            try writeFile(path, torchZip(pickle: pickle))
            let error = thrownError { _ = try TorchCheckpoint(path: path) }
            guard let e = error as? TorchError else { Issue.record("\(gadget): \(String(describing: error))"); continue }
            switch e {
            case .disallowedGlobal, .disallowedCall, .disallowedBuild: break
            case let .pickle(_, inner):
                switch inner {
                case .unsupportedOpcode, .disallowedGlobal, .disallowedCall, .disallowedBuild: break
                default: Issue.record("\(gadget): refused for another reason: \(e)")
                }
            default: Issue.record("\(gadget): refused for another reason: \(e)")
            }
            #expect("\(e)".contains(path), "\(gadget): \(e)")
            #expect(!exists(marker), "\(gadget) ran")
        }
        // The replayer (a separate process) refuses them too, and nothing runs there either.
        var files: [String] = []
        for (i, (_, pickle)) in Self.payloads(marker: marker).enumerated() {
            files.append(folder + "/payload\(i).pkl")
            try writeFile(files[i], pickle)
        }
        let run = try runChild(product("fuzz-pickle"), files)
        #expect(run.succeeded)
        #expect(run.stdout.split(separator: "\n").allSatisfy { $0.contains(", refused: ") }, "\(run.stdout)")
        #expect(!exists(marker))
    }

    @Test("the torch.save file with a real os.system payload (made by torch) is refused and runs nothing")
    func realEvilFixture() throws {
        let path = repoRoot.appendingPathComponent("fixtures/sources/torch/evil.pth").path
        #expect(thrownError { _ = try TorchCheckpoint(path: path) } as? TorchError
                == .disallowedGlobal(file: path, module: "posix", name: "system"))
    }

    @Test("a tensor claiming a billion elements over a 16-byte storage is refused at once, in-process and in a fresh process")
    func billionElementTensor() throws {
        let folder = makeTempFolder("billion")
        defer { removeFolder(folder) }
        let pickle = Pickle.dict("w") { $0.tensor(key: "0", numel: 1_000_000_000, size: [1_000_000_000]) }
        let path = folder + "/billion.pth"
        try writeFile(path, torchZip(pickle: pickle, storages: [("0", [UInt8](repeating: 0, count: 16))]))
        let (error, seconds) = timed { thrownError { _ = try TorchCheckpoint(path: path) } }
        #expect(error as? TorchError == .storageSizeMismatch(file: path, key: "0", expected: 4_000_000_000, found: 16))
        #expect(seconds < refusalSeconds)
        try writeFile(folder + "/billion.pkl", pickle)
        try expectPickleRefusedCheaply(folder + "/billion.pkl")
    }

    @Test("a pickle building a ten-million-element list is stopped by a limit, in bounded memory")
    func tenMillionElementList() throws {
        let folder = makeTempFolder("list")
        defer { removeFolder(folder) }
        // {'w': [None × 10^7]}: EMPTY_DICT, key, EMPTY_LIST, MARK, NONE…, APPENDS, SETITEM, STOP.
        var bytes: [UInt8] = [0x80, 2, 0x7D, 0x58] + le32(1) + Array("w".utf8) + [0x5D, 0x28]
        bytes += [UInt8](repeating: 0x4E, count: 10_000_000)
        bytes += [0x65, 0x73, 0x2E]
        let path = folder + "/list.pth"
        try writeFile(path, torchZip(pickle: bytes))
        let (error, seconds) = timed { thrownError { _ = try TorchCheckpoint(path: path) } }
        guard case let .pickle(file, .limitExceeded(what, limit, _))? = error as? TorchError else {
            Issue.record("expected a limit, got \(String(describing: error))"); return
        }
        #expect(file == path && !what.isEmpty && limit < 10_000_000, "\(what) \(limit)")
        #expect(seconds < 10, "took \(seconds) s")
        try writeFile(folder + "/list.pkl", bytes)
        try expectPickleRefusedCheaply(folder + "/list.pkl", seconds: 10, boundKiB: 128 * 1024)
    }

    @Test("strings, bytes, integers and frames claiming a billion bytes are refused before any allocation")
    func billionByteClaims() throws {
        let folder = makeTempFolder("claims")
        defer { removeFolder(folder) }
        let claims: [[UInt8]] = [
            [0x80, 2, 0x58] + le32(1_000_000_000) + [0x61],          // BINUNICODE
            [0x80, 4, 0x8E] + le64(1_000_000_000) + [0x61],          // BINBYTES8
            [0x80, 4, 0x8D] + le64(1 << 40) + [0x61],                // BINUNICODE8
            [0x80, 2, 0x8B] + le32(1_000_000_000) + [1],             // LONG4
            [0x80, 4, 0x95] + le64(1_000_000_000),                   // FRAME
            [0x80, 2, 0x42] + le32(0xFFFF_FFFF),                     // BINBYTES
        ]
        var files: [String] = []
        for (i, c) in claims.enumerated() {
            let path = folder + "/claim\(i).pth"
            try writeFile(path, torchZip(pickle: c))
            let (error, seconds) = timed { thrownError { _ = try TorchCheckpoint(path: path) } }
            guard case .pickle(path, .truncated)? = error as? TorchError else {
                Issue.record("claim \(i): \(String(describing: error))"); continue
            }
            #expect(seconds < refusalSeconds)
            files.append(folder + "/claim\(i).pkl")
            try writeFile(files.last!, c)
        }
        for f in files { try expectPickleRefusedCheaply(f) }
    }

    /// The replayer refuses the pickle at `path` in a fresh process, within `seconds`, with peak RSS
    /// growth under `boundKiB` over its run on a valid seed.
    func expectPickleRefusedCheaply(_ path: String, seconds: Double = refusalSeconds, boundKiB: Int = hostileRSSBoundKiB) throws {
        let base = try runChild(product("fuzz-pickle"), [fuzzCorpus.appendingPathComponent("pickle/seeds/parameters.pkl").path])
        let run = try runChild(product("fuzz-pickle"), [path])
        let baseline = try #require(base.reportedPeakRSSKiB)
        reportCost(path, run, baselineKiB: baseline)
        #expect(run.succeeded && run.stdout.contains("refused: \(path)"), "\(run.stdout) \(run.stderr)")
        #expect(run.seconds < seconds, "took \(run.seconds) s")
        let peak = run.reportedPeakRSSKiB ?? Int.max
        #expect(!checksRSS || peak - baseline < boundKiB, "peak RSS \(peak) KiB vs \(baseline) KiB")
    }
}
