import Foundation
import Testing
import ViTTensor
import ViTTestSupport

/// vit-convert under faults: killed at random moments, writing into a full file system, and given
/// unusable paths. The promise: OUT is either absent, the previous OUT untouched, or a complete new
/// file, never a partial one; IN is never modified; every failure names the file.
@Suite("faults: SIGKILL, a full disk and bad paths never leave a partial output or touch the input", .serialized)
struct FaultTests {
    static let formats = ["bin", "safetensors", "h5"]

    /// `^\.NAME\.tmp-XXXXXX$`: the hidden temporary file `AtomicFile` makes beside NAME.
    static func isTemporary(_ entry: String, of name: String) -> Bool {
        let prefix = "." + name + ".tmp-"
        guard entry.hasPrefix(prefix) else { return false }
        let suffix = entry.dropFirst(prefix.count)
        return suffix.count == 6 && suffix.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    func convert(_ arguments: [String], killAfter: Double? = nil, killWhen: ((Double) -> Bool)? = nil) throws -> ChildRun {
        try runChild(product("vit-convert"), arguments, killAfter: killAfter, killWhen: killWhen)
    }

    @Test("SIGKILL at 20 random moments of a 90 MB conversion leaves no OUT, the old OUT intact, or a complete OUT; IN unchanged")
    func killedAtRandomMoments() throws {
        let folder = makeTempFolder("kill")
        defer { removeFolder(folder) }
        let inDir = folder + "/in", outDir = folder + "/out"
        try FileManager.default.createDirectory(atPath: inDir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        let input = inDir + "/vit_base_depth3.safetensors"
        let size = try writeRandomCheckpoint(input, timmTensorInfos(embedDim: 768, depth: 3), seed: 0x5EED_0007,
                                             metadata: ["num_heads": "12"])
        #expect(size > 50_000_000 && size < 100_000_000, "input is \(size) bytes")
        let inputHash = try #require(fileHash(input))
        let inputStat = try #require(statOf(input))

        // A complete conversion per format (timed), and an older, different OUT (f16) to be replaced.
        var seconds: [String: Double] = [:], referenceSize: [String: Int] = [:]
        var newDigest: [String: UInt64] = [:], oldHash: [String: UInt64] = [:]
        for f in Self.formats {
            let reference = try convert([input, "\(outDir)/ref.\(f)", "--quiet"])
            try #require(reference.succeeded, "reference \(f): \(reference.stderr)")
            seconds[f] = reference.seconds
            referenceSize[f] = statOf("\(outDir)/ref.\(f)").map { Int($0.st_size) }
            newDigest[f] = try #require(tensorDigest("\(outDir)/ref.\(f)"))
            let old = try convert([input, "\(outDir)/old.\(f)", "--dtype", "f16", "--quiet"])
            try #require(old.succeeded, "old \(f): \(old.stderr)")
            oldHash[f] = try #require(fileHash("\(outDir)/old.\(f)"))
            #expect(tensorDigest("\(outDir)/old.\(f)") != newDigest[f])
        }

        var rng = SplitMix64(state: 0xC0FFEE)
        var killed = 0, leftovers = 0
        var outcomes: [String: Int] = [:]
        for run in 0..<20 {
            let f = Self.formats[run % 3]
            let name = "run.\(f)", out = "\(outDir)/\(name)"
            let replacing = run % 2 == 0
            if replacing { try FileManager.default.copyItem(atPath: "\(outDir)/old.\(f)", toPath: out) }
            // Half the runs are killed at a random time of a whole conversion (start-up, header parsing,
            // mapping, writing, syncing), half when the new temporary file has reached a random fraction
            // of OUT's final size (always mid-write).
            let before = Set(listFolder(outDir))
            let killAt: String
            let killWhen: (Double) -> Bool
            if (run / 2) % 2 == 0 {
                let at = (seconds[f] ?? 1) * Double.random(in: 0.02...0.95, using: &rng)
                killAt = String(format: "%.3f s", at)
                killWhen = { $0 >= at }
            } else {
                let bytes = Int(Double(referenceSize[f] ?? 1) * Double.random(in: 0.02...0.99, using: &rng))
                killAt = "\(bytes) bytes written"
                killWhen = { _ in
                    listFolder(outDir).contains { !before.contains($0) && Self.isTemporary($0, of: name) && (statOf(outDir + "/" + $0)?.st_size ?? 0) >= bytes }
                }
            }
            let r = try convert([input, out, "--quiet"] + (replacing ? ["--force"] : []), killWhen: killWhen)
            let outcome: String
            if r.signal == SIGKILL {
                killed += 1
                if replacing {
                    let old = fileHash(out) == oldHash[f]
                    #expect(old || tensorDigest(out) == newDigest[f],
                            "run \(run) (\(f), killed at \(killAt)): OUT is neither the old file nor a complete new one")
                    outcome = old ? "old OUT intact" : "new OUT complete"
                } else {
                    let absent = !exists(out)
                    #expect(absent || tensorDigest(out) == newDigest[f], "run \(run) (\(f), killed at \(killAt)): a partial OUT")
                    outcome = absent ? "no OUT" : "new OUT complete"
                }
            } else {
                #expect(r.succeeded, "run \(run) (\(f)) finished before the kill but failed: \(r.stderr)")
                #expect(tensorDigest(out) == newDigest[f], "run \(run) (\(f)): completed OUT differs from the reference")
                outcome = "finished before the kill"
            }
            outcomes[outcome, default: 0] += 1
            // Only hidden temporary files of the kind AtomicFile makes may be left; they stay for the next runs.
            let known: Set<String> = Set(Self.formats.flatMap { ["ref.\($0)", "old.\($0)"] } + [name])
            for entry in listFolder(outDir) where !known.contains(entry) {
                #expect(Self.formats.contains { Self.isTemporary(entry, of: "run.\($0)") }, "unexpected file \(entry)")
            }
            try? FileManager.default.removeItem(atPath: out)
        }
        leftovers = listFolder(outDir).filter { $0.hasPrefix(".") }.count
        #expect(killed >= 12, "only \(killed) of 20 runs were killed mid-conversion")

        // The next run is not disturbed by the leftovers and produces the complete output.
        for f in Self.formats {
            let r = try convert([input, "\(outDir)/run.\(f)", "--quiet"])
            #expect(r.succeeded, "\(r.stderr)")
            #expect(tensorDigest("\(outDir)/run.\(f)") == newDigest[f])
        }
        #expect(fileHash(input) == inputHash, "the input changed")
        #expect(statOf(input).map { ($0.st_mtim.tv_sec, $0.st_mtim.tv_nsec, $0.st_size, $0.st_mode) }
                ?? (0, 0, 0, 0) == (inputStat.st_mtim.tv_sec, inputStat.st_mtim.tv_nsec, inputStat.st_size, inputStat.st_mode),
                "the input's modification time, size or mode changed")
        print("SIGKILL test: 20 runs, \(killed) killed mid-conversion (" + outcomes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
              + "), \(leftovers) hidden temporary files left; "
              + "complete conversions took " + Self.formats.map { "\($0) \(String(format: "%.2f", seconds[$0] ?? 0)) s" }.joined(separator: ", "))
    }

    @Test("a full file system fails naming OUT ('No space left on device' once writing starts) and leaves no file",
          .enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func fullFileSystem() throws {
        let folder = makeTempFolder("full")
        defer { removeFolder(folder) }
        // A model whose tensors fill whole pages, so a tmpfs of exactly that size passes a free-space
        // check on the tensor bytes but cannot hold the file (header and padding need one page more).
        let k = try #require((1000..<2024).first { k in
            timmTensorInfos(embedDim: 192, depth: 2, classes: k).reduce(0) { $0 + $1.byteCount } % 4096 == 0
        })
        let infos = timmTensorInfos(embedDim: 192, depth: 2, classes: k)
        let tensorBytes = infos.reduce(0) { $0 + $1.byteCount }
        let input = folder + "/vit_tiny_depth2.safetensors"
        try writeRandomCheckpoint(input, infos, seed: 0xF011, metadata: ["num_heads": "3"])
        let inputHash = fileHash(input)

        let tmpfs: [(options: String, reason: String)] = [
            ("size=\(tensorBytes)", "No space left on device"),          // fills up while writing
            ("size=2m", ""),                                               // refused early or while writing
            ("size=64m,nr_inodes=1", "No space left on device"),           // no inode for the temporary file
        ]
        for (options, reason) in tmpfs {
            let mountPoint = makeTempFolder("tmpfs")
            defer { removeFolder(mountPoint) }
            guard options.withCString({ mount("tmpfs", mountPoint, "tmpfs", 0, $0) }) == 0 else {
                print("full-disk test skipped: mounting a tmpfs failed: \(String(cString: strerror(errno)))")
                return
            }
            defer { umount2(mountPoint, Int32(MNT_DETACH)) }
            for f in Self.formats {
                let out = "\(mountPoint)/out.\(f)"
                let r = try convert([input, out])
                #expect(r.exitStatus == 1, "\(options) \(f): status \(String(describing: r.exitStatus)), signal \(String(describing: r.signal))")
                #expect(r.stderr.hasPrefix("Error: \(out): "), "\(options) \(f): \(r.stderr)")
                #expect(r.stderr.contains(reason.isEmpty ? "space" : reason), "\(options) \(f): \(r.stderr)")
                #expect(listFolder(mountPoint).isEmpty, "\(options) \(f): left \(listFolder(mountPoint))")
            }
        }
        #expect(fileHash(input) == inputHash)
    }

    @Test("a missing input, a missing OUT folder, a folder as OUT and an empty folder as IN each get their own message")
    func badPaths() throws {
        let folder = makeTempFolder("paths")
        defer { removeFolder(folder) }
        let input = folder + "/model.safetensors"
        try writeRandomCheckpoint(input, timmTensorInfos(embedDim: 64, depth: 1, classes: 10, patch: 8, image: 32), seed: 1,
                                  metadata: ["num_heads": "2"])
        let empty = folder + "/empty", folderOut = folder + "/folder.bin"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folderOut, withIntermediateDirectories: true)
        let cases: [(args: [String], message: String)] = [
            ([folder + "/missing.safetensors", folder + "/a.bin"], folder + "/missing.safetensors: no such file or folder"),
            ([input + "/inside", folder + "/a.bin"], input + "/inside: no such file or folder"),
            ([input, folder + "/no/such/folder/a.bin"], folder + "/no/such/folder/a.bin: the output folder " + folder + "/no/such/folder does not exist"),
            ([input, folderOut], folderOut + ": is a folder"),
            ([empty, folder + "/a.bin"], empty),
        ]
        for c in cases {
            let r = try convert(c.args)
            #expect(r.exitStatus != 0 && r.exitStatus != nil, "\(c.args)")
            #expect(r.stderr.contains(c.message), "\(c.args): \(r.stderr)")
        }
        #expect(listFolder(folder) == ["empty", "folder.bin", "model.safetensors"])
        #expect(listFolder(empty).isEmpty && listFolder(folderOut).isEmpty)
    }

    @Test("an unreadable input is refused naming it and the OS reason", .enabled(if: getuid() != 0, "root reads any file"))
    func unreadableInput() throws {
        let folder = makeTempFolder("unreadable")
        defer { chmod(folder + "/model.safetensors", 0o644); removeFolder(folder) }
        let input = folder + "/model.safetensors"
        try writeRandomCheckpoint(input, timmTensorInfos(embedDim: 64, depth: 1, classes: 10, patch: 8, image: 32), seed: 2)
        chmod(input, 0)
        let r = try convert([input, folder + "/a.bin"])
        #expect(r.exitStatus == 1)
        #expect(r.stderr.contains(input) && r.stderr.contains("Permission denied"), "\(r.stderr)")
        #expect(!exists(folder + "/a.bin"))
    }

    @Test("a FIFO or a device as input is refused naming it, without blocking")
    func specialFileInput() throws {
        let folder = makeTempFolder("fifo")
        defer { removeFolder(folder) }
        let fifo = folder + "/model.safetensors"
        try #require(mkfifo(fifo, 0o644) == 0)
        for input in [fifo, "/dev/zero"] {
            let r = try convert([input, folder + "/a.bin"], killAfter: 20)
            #expect(r.signal == nil, "\(input): still running after 20 s")
            #expect(r.exitStatus != 0 && r.stderr.contains(input), "\(input): \(r.stderr)")
        }
        #expect(!exists(folder + "/a.bin"))
    }

    @Test("OUT naming the input, directly or through a symlink, is refused even with --force; IN unchanged")
    func outputIsInput() throws {
        let folder = makeTempFolder("same")
        defer { removeFolder(folder) }
        let input = folder + "/model.safetensors"
        try writeRandomCheckpoint(input, timmTensorInfos(embedDim: 64, depth: 1, classes: 10, patch: 8, image: 32), seed: 3,
                                  metadata: ["num_heads": "2"])
        let hash = fileHash(input)
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.safetensors", withDestinationPath: input)
        for out in [input, folder + "/link.safetensors"] {
            let r = try convert([input, out, "--force"])
            #expect(r.exitStatus != 0 && r.exitStatus != nil)
            #expect(r.stderr.contains(out), "\(r.stderr)")
        }
        #expect(fileHash(input) == hash)
    }
}
