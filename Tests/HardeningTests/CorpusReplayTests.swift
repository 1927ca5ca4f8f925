import Foundation
import Testing
import ViTBin
import ViTFormats
import ViTNumpy
import ViTSafetensors
import ViTTensor

/// The committed fuzz corpora: seeds (valid files the fuzzers start from) and every input that ever
/// crashed a fuzz target (tools/fuzz-corpus/TARGET/crashes), replayed through the library's file API
/// (safetensors, .bin, .npy: a crash input must now be refused with the format's error, naming the
/// file) and through the replayer executables (all five targets; a pickle is a `data.pkl` that only the
/// replayer wraps into a checkpoint): every input runs to completion in a fresh process.
@Suite("fuzz corpora: seeds open, every past crash input is refused with an error")
struct CorpusReplayTests {
    /// The files in tools/fuzz-corpus/TARGET/KIND (seeds or crashes), sorted.
    static func corpus(_ target: String, _ kind: String) -> [String] {
        let folder = fuzzCorpus.appendingPathComponent("\(target)/\(kind)").path
        return listFolder(folder).filter { !$0.hasPrefix(".") && $0 != "README.md" }.map { folder + "/" + $0 }
    }

    /// Opens `path` as a `target` file through the library and reads every tensor.
    static func open(_ target: String, _ path: String) throws {
        switch target {
        case "safetensors":
            if path.hasSuffix(".json") { _ = try SafetensorsIndex(path: path); return }
            let f = try SafetensorsFile(path: path)
            for name in f.tensorNames { _ = try f.tensor(named: name).floats() }
        case "bin":
            let f = try BinFile(path: path)
            for name in f.tensorNames { _ = try f.tensor(named: name).floats() }
        default:
            _ = try NpyFile(path: path).tensor.floats()
        }
    }

    /// True when `error` is the error enum of `target`'s reader.
    static func isFormatError(_ error: any Error, _ target: String) -> Bool {
        switch target {
        case "safetensors": return error is SafetensorsError
        case "bin": return error is BinError
        default: return error is NpyError
        }
    }

    @Test("every seed opens and reads through the library", arguments: ["safetensors", "bin", "npy"])
    func seedsOpen(target: String) throws {
        let seeds = Self.corpus(target, "seeds")
        #expect(!seeds.isEmpty)
        for path in seeds {
            #expect(throws: Never.self, "\(path)") { try Self.open(target, path) }
        }
    }

    @Test("every crash input is refused with the format's error naming the file", arguments: ["safetensors", "bin", "npy"])
    func crashesRefused(target: String) throws {
        for path in Self.corpus(target, "crashes") {
            let error = thrownError { try Self.open(target, path) }
            #expect(error.map { Self.isFormatError($0, target) } == true, "\(path): \(String(describing: error))")
            #expect(error.map { "\($0)".contains(path) } == true, "\(path): \(String(describing: error))")
            // Through the opener every tool uses (content detection, then the reader).
            let opened = thrownError { _ = try CheckpointOpener.open(path) }
            if let opened { #expect("\(opened)".contains(path), "\(opened)") }
        }
    }

    @Test("the replayer executable runs every seed and crash input to completion",
          arguments: ["safetensors", "bin", "npy", "pickle", "zip", "jpeg", "png"])
    func replayerRuns(target: String) throws {
        let crashes = Self.corpus(target, "crashes")
        let files = Self.corpus(target, "seeds") + crashes
        let run = try runChild(product("fuzz-\(target)"), files)
        #expect(run.succeeded, "fuzz-\(target) ended with \(String(describing: run.exitStatus)) / signal \(String(describing: run.signal)): \(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == files.count)
        for path in crashes {
            #expect(lines.contains { $0.hasPrefix("\(path): ") }, "\(path) was not replayed")
        }
    }

    @Test("the pickle seeds unpickle; the two that name other globals are refused by the allow-list")
    func pickleSeeds() throws {
        let seeds = Self.corpus("pickle", "seeds")
        let run = try runChild(product("fuzz-pickle"), seeds)
        let lines = run.stdout.split(separator: "\n")
        #expect(seeds.count == 9 && lines.count == 9, "\(run.stdout)")
        let allowList = lines.filter { $0.contains("is not on ViTKit's allow-list") }
        #expect(allowList.count == 2 && allowList.allSatisfy { $0.contains("evil.pkl") || $0.contains("torchscript.pkl") })
        // The rest read, or (with more storages than the harness supplies) stop at a missing storage.
        #expect(lines.filter { $0.contains(", read ") }.count >= 4, "\(run.stdout)")
    }
}
