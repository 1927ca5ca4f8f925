import Foundation
import Testing
import ViTFormats
import ViTNumpy
import ViTTensor
#if canImport(Glibc)
import Glibc
#endif

/// The names in a folder, hidden ones included (a leftover temporary file would show here).
private func entries(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}

private func bytes(_ path: String) -> Data? { try? Data(contentsOf: URL(fileURLWithPath: path)) }

/// A ~205 MB timm checkpoint made in an instant: timm_plain's tensors with a 1.6M-class head whose data is
/// a sparse run of zeros at the end of the file. Big enough that a conversion is still running when a
/// test signals it, and over the 100 MB progress-bar threshold.
private func makeLargeCheckpoint(_ path: String, classes: Int = 1_600_000) throws {
    let small = try CheckpointOpener.open(fixture("conventions/timm_plain/model.safetensors"))
    var layout: [(String, [Int], Tensor?)] = small.tensorInfos.filter { !$0.name.hasPrefix("head.") }
        .map { ($0.name, $0.shape, try? small.tensor(named: $0.name)) }
    layout.append(("head.bias", [classes], nil))
    layout.append(("head.weight", [classes, 32], nil))
    var json = "{"
    var offset = 0
    for (i, (name, shape, _)) in layout.enumerated() {
        let n = shape.reduce(1, *) * 4
        json += (i > 0 ? "," : "") + "\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],"
            + "\"data_offsets\":[\(offset),\(offset + n)]}"
        offset += n
    }
    json += "}"
    while json.utf8.count % 8 != 0 { json += " " }
    var head = withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { Data($0) }
    head.append(Data(json.utf8))
    for (_, _, t) in layout { if let t { head.append(Data(t.bytes)) } }
    FileManager.default.createFile(atPath: path, contents: head)
    #expect(truncate(path, off_t(8 + json.utf8.count + offset)) == 0)
}

/// The tensors of a ~150 MB timm ViT (D=512, 12 blocks, MLP 2048, 1000 classes, 224 px, 16 px patches); its
/// largest tensors (fc1/fc2 weights) are 4 MiB each.
private func wideLayout() -> [(String, [Int])] {
    let d = 512, m = 2048, k = 1000
    var layout: [(String, [Int])] = [("cls_token", [1, 1, d]), ("pos_embed", [1, 197, d]),
                                     ("patch_embed.proj.weight", [d, 3, 16, 16]), ("patch_embed.proj.bias", [d])]
    for i in 0..<12 {
        let b = "blocks.\(i)."
        layout += [(b + "norm1.weight", [d]), (b + "norm1.bias", [d]), (b + "attn.qkv.weight", [3 * d, d]), (b + "attn.qkv.bias", [3 * d]),
                   (b + "attn.proj.weight", [d, d]), (b + "attn.proj.bias", [d]), (b + "norm2.weight", [d]), (b + "norm2.bias", [d]),
                   (b + "mlp.fc1.weight", [m, d]), (b + "mlp.fc1.bias", [m]), (b + "mlp.fc2.weight", [d, m]), (b + "mlp.fc2.bias", [d])]
    }
    return layout + [("norm.weight", [d]), ("norm.bias", [d]), ("head.weight", [k, d]), ("head.bias", [k])]
}

/// A safetensors file of `layout` (F32) whose data is all one sparse run of zeros.
private func writeSparseSafetensors(_ path: String, _ layout: [(String, [Int])]) {
    var json = "{"
    var offset = 0
    for (i, (name, shape)) in layout.enumerated() {
        let n = shape.reduce(1, *) * 4
        json += (i > 0 ? "," : "") + "\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],"
            + "\"data_offsets\":[\(offset),\(offset + n)]}"
        offset += n
    }
    json += "}"
    while json.utf8.count % 8 != 0 { json += " " }
    var head = withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { Data($0) }
    head.append(Data(json.utf8))
    FileManager.default.createFile(atPath: path, contents: head)
    #expect(truncate(path, off_t(8 + json.utf8.count + offset)) == 0)
}

/// The ~150 MB wide ViT (`wideLayout`) as one sparse safetensors file; returns its largest tensor's bytes.
private func makeWideCheckpoint(_ path: String) throws -> Int {
    let layout = wideLayout()
    writeSparseSafetensors(path, layout)
    return layout.map { $0.1.reduce(1, *) * 4 }.max() ?? 0
}

/// The wide ViT as three sparse shards behind `model.safetensors.index.json` in `folder`; returns the index's path.
private func makeWideShards(in folder: String) throws -> String {
    let layout = wideLayout()
    let third = (layout.count + 2) / 3
    var map: [String] = []
    for (i, start) in stride(from: 0, to: layout.count, by: third).enumerated() {
        let file = "model-0000\(i + 1)-of-00003.safetensors"
        let part = Array(layout[start..<min(start + third, layout.count)])
        writeSparseSafetensors("\(folder)/\(file)", part)
        map += part.map { "\"\($0.0)\":\"\(file)\"" }
    }
    let index = "\(folder)/model.safetensors.index.json"
    try "{\"metadata\":{},\"weight_map\":{\(map.joined(separator: ","))}}".write(toFile: index, atomically: true, encoding: .utf8)
    return index
}

/// Runs the program at an absolute path (a shell, script(1), setpriv) and captures its output and status.
private func runProgram(_ path: String, _ arguments: [String]) throws -> ToolResult {
    try runExecutable(URL(fileURLWithPath: path), arguments)
}

/// Starts a tool without waiting for it.
private func startTool(_ name: String, _ arguments: [String]) throws -> (Process, Pipe, Pipe) {
    let p = Process()
    p.executableURL = productsFolder.appendingPathComponent(name)
    p.arguments = arguments
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    return (p, out, err)
}

/// Waits (up to `seconds`) until `folder` holds an entry with `prefix`.
private func waitForEntry(in folder: String, prefix: String, seconds: Double = 20) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if entries(folder).contains(where: { $0.hasPrefix(prefix) }) { return true }
        usleep(500)
    }
    return false
}

@Suite("vit-convert")
struct ConvertCLITests {
    let plain = fixture("conventions/timm_plain/model.safetensors")

    @Test("converts to each format, prints one summary line on stdout, and vit-run gives the reference logits",
          arguments: ["bin", "safetensors", "h5"])
    func convertsAndRuns(_ ext: String) throws {
        let dir = makeTempFolder()
        let out = "\(dir)/m.\(ext)"
        let r = try runTool("vit-convert", [plain, out, "--heads", "2"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let format = ["bin": "bin", "safetensors": "safetensors", "h5": "hdf5"][ext] ?? ""
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(r.stdout.hasPrefix("wrote \(out): 32 tensors, 0.") && r.stdout.contains(" MB, \(format), f32, "))
        #expect(r.stdout.hasSuffix(" s syncing to disk)\n"))
        // Running the output needs no flags: the config is embedded.
        let logits = "\(dir)/logits.npy"
        let run = try runTool("vit-run", [out, "--input", fixture("conventions/timm_plain/input.npy"), "--output", logits])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let got = try NpyFile(path: logits).tensor.floats()
        let want = try NpyFile(path: fixture("conventions/timm_plain/logits.npy")).tensor.floats()
        #expect(relativeError(got, want) <= logitTolerance)
    }

    @Test("--image-size: vit-run of the result gives the logits of timm's model created at that size",
          arguments: [("plain_48_timm", ["48", "--antialias"]), ("plain_40x64_timm", ["40x64", "--antialias"]),
                      ("deit_48_timm", ["48", "--antialias"]), ("plain_56x40_bilinear", ["56x40", "--interpolation", "bilinear"]),
                      ("plain_48_bicubic", ["48"])])
    func resized(_ c: (String, [String])) throws {
        let folder = fixture("convert/resize/\(c.0)")
        let caseJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/case.json"))) as? [String: Any]
        let source = fixture(caseJSON?["source"] as? String ?? "")
        let heads = caseJSON?["source_heads"] as? Int ?? 0
        let dir = makeTempFolder()
        let out = "\(dir)/m.safetensors"
        let r = try runTool("vit-convert", [source, out, "--heads", "\(heads)", "--image-size"] + c.1)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.split(separator: "\n").last?.hasPrefix("resized pos_embed grid 4x4 -> ") == true)
        let logits = "\(dir)/logits.npy"
        let run = try runTool("vit-run", [out, "--input", "\(folder)/input.npy", "--output", logits])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let got = try NpyFile(path: logits).tensor.floats()
        let want = try NpyFile(path: "\(folder)/logits.npy").tensor.floats()
        #expect(relativeError(got, want) <= logitTolerance, "\(c.0)")
    }

    @Test("--quiet prints nothing; --dtype f16 stores f16")
    func quietAndDType() throws {
        let dir = makeTempFolder()
        let r = try runTool("vit-convert", [plain, "\(dir)/m.safetensors", "--heads", "2", "--dtype", "f16", "-q"])
        #expect(r.status == 0)
        #expect(r.stdout.isEmpty && r.stderr.isEmpty)
        #expect(try CheckpointOpener.open("\(dir)/m.safetensors").tensorInfos.allSatisfy { $0.dtype == .f16 })
    }

    @Test("refusals exit with status 1 and one clear message naming the file")
    func refusals() throws {
        let dir = makeTempFolder()
        let input = "\(dir)/in.safetensors"
        try FileManager.default.copyItem(atPath: plain, toPath: input)
        try Data("old".utf8).write(to: URL(fileURLWithPath: "\(dir)/exists.bin"))
        #expect(symlink(input, "\(dir)/link.safetensors") == 0)
        let cases: [([String], String)] = [
            ([input, "\(dir)/exists.bin"], "Error: \(dir)/exists.bin: already exists (use --force to replace it)\n"),
            ([input, input, "--force"], "Error: \(input): the output is the input; choose another output file\n"),
            ([input, "\(dir)/link.safetensors", "--force"],
             "Error: \(dir)/link.safetensors: the output is the same file as the input \(input); choose another output file\n"),
            ([input, "\(dir)/none/m.bin"], "Error: \(dir)/none/m.bin: the output folder \(dir)/none does not exist (create it first)\n"),
            ([input, "\(dir)/m.pt"], "Error: \(dir)/m.pt: cannot tell the output format from '.pt'; use one of .bin, .safetensors, .h5\n"),
            (["\(dir)/missing.safetensors", "\(dir)/m.bin"], "Error: \(dir)/missing.safetensors: no such file or folder\n"),
            ([input, "\(dir)/m.bin", "--heads", "2", "--image-size", "44"],
             "Error: image size 44x44 is not a whole number of 8x8 patches (use multiples of 8 for the height and 8 for the width)\n"),
        ]
        for (args, message) in cases {
            let r = try runTool("vit-convert", args)
            #expect(r.status == 1, "\(args)")
            #expect(r.stderr == message)
            #expect(r.stdout.isEmpty)
        }
        #expect(bytes("\(dir)/exists.bin") == Data("old".utf8))
        #expect(entries(dir) == ["exists.bin", "in.safetensors", "link.safetensors"])
        #expect(bytes(input) == bytes(plain))
    }

    @Test("flag misuse is a usage error (status 64)")
    func usage() throws {
        let dir = makeTempFolder()
        for args in [[plain, "\(dir)/m.bin", "--antialias"], [plain, "\(dir)/m.bin", "--interpolation", "bicubic"],
                     [plain, "\(dir)/m.bin", "--dtype", "f64"], [plain, "\(dir)/m.bin", "--image-size", "0x4"], [plain]] {
            let r = try runTool("vit-convert", args)
            #expect(r.status == 64, "\(args)")
            #expect(r.stderr.hasPrefix("Error: "))
        }
        #expect(entries(dir).isEmpty)
    }

    @Test("an unreadable input gets its own message (run as an unprivileged user)")
    func unreadable() throws {
        let dir = makeTempFolder()
        chmod(dir, 0o777)
        let input = "\(dir)/in.safetensors"
        try FileManager.default.copyItem(atPath: plain, toPath: input)
        chmod(input, 0)
        let tool = productsFolder.appendingPathComponent("vit-convert").path
        // Root reads anything: drop to nobody for this run.
        let r = geteuid() == 0
            ? try runProgram("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", tool, input, "\(dir)/m.bin"])
            : try runTool("vit-convert", [input, "\(dir)/m.bin"])
        #expect(r.status == 1)
        #expect(r.stderr == "Error: \(input): cannot read the input: Permission denied\n")
        #expect(entries(dir) == ["in.safetensors"])
    }

    @Test("a full disk (a file-size limit) fails cleanly: no output, no temporary file, input untouched",
          .disabled(if: underThreadSanitizer, "the TSan runtime cannot start under ulimit -f (HardeningTests' tmpfs runs cover a full disk there)"),
          arguments: ["bin", "safetensors", "h5"])
    func fullDisk(_ ext: String) throws {
        let dir = makeTempFolder()
        let input = "\(dir)/in.safetensors"
        try FileManager.default.copyItem(atPath: plain, toPath: input)
        let tool = productsFolder.appendingPathComponent("vit-convert").path
        // 50 blocks of 512 bytes: the ~92 KB output cannot be written.
        let r = try runProgram("/bin/sh", ["-c", "ulimit -f 50; exec \"$0\" \"$@\"", tool, input, "\(dir)/out.\(ext)", "--heads", "2"])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("Error: "))
        if ext != "h5" { #expect(r.stderr.contains("File too large"), Comment(rawValue: r.stderr)) }
        #expect(entries(dir) == ["in.safetensors"])
        #expect(bytes(input) == bytes(plain))
    }

    @Test("killed mid-write (SIGKILL): no output appears and the input is untouched")
    func killed() throws {
        let dir = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = "\(dir)/big.safetensors"
        try makeLargeCheckpoint(input)
        let before = try CheckpointOpener.open(input).tensorInfos
        let (p, _, _) = try startTool("vit-convert", [input, "\(dir)/out.bin", "--heads", "2"])
        #expect(waitForEntry(in: dir, prefix: ".out.bin.tmp-"))
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/out.bin"))
        // Only the (hidden) temporary file can remain after SIGKILL; the next run does not mind it.
        #expect(entries(dir).filter { !$0.hasPrefix(".out.bin.tmp-") } == ["big.safetensors"])
        #expect(try CheckpointOpener.open(input).tensorInfos == before)
    }

    @Test("interrupted (SIGTERM, SIGINT): stops between tensors, removes its temporary file, exits 130",
          arguments: [SIGTERM, SIGINT])
    func interrupted(_ sig: Int32) throws {
        let dir = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = "\(dir)/big.safetensors"
        try makeLargeCheckpoint(input)
        let (p, out, err) = try startTool("vit-convert", [input, "\(dir)/out.safetensors", "--heads", "2"])
        #expect(waitForEntry(in: dir, prefix: ".out.safetensors.tmp-"))
        kill(p.processIdentifier, sig)
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 130)
        #expect(stdout.isEmpty)
        #expect(stderr.hasSuffix("Error: \(dir)/out.safetensors: conversion cancelled; nothing was written\n"))
        #expect(entries(dir) == ["big.safetensors"])
    }

    @Test("peak memory stays within 64 MiB of the largest tensor for safetensors (one file or shards), .bin and .h5 inputs (max RSS)")
    func peakMemory() throws {
        let dir = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = "\(dir)/wide.safetensors"
        let largest = try makeWideCheckpoint(input)
        let tool = productsFolder.appendingPathComponent("vit-convert").path
        func maxRSS(_ args: [String]) throws -> Int {
            let r = try runProgram("/usr/bin/time", ["-f", "maxrss_kb=%M", tool] + args + ["-q"])
            #expect(r.status == 0, Comment(rawValue: r.stderr))
            let line = r.stderr.split(separator: "\n").last { $0.hasPrefix("maxrss_kb=") } ?? ""
            return (Int(line.dropFirst("maxrss_kb=".count)) ?? .max) * 1024
        }
        let limit = largest + (64 << 20)
        // A sanitizer build's allocator holds more than the bound by design; the conversions still run.
        let conversions: [(String, [String])] = [
            ("safetensors input", [input, "\(dir)/wide.bin", "--heads", "8"]),
            (".bin input", ["\(dir)/wide.bin", "\(dir)/wide.h5"]),
            (".h5 input", ["\(dir)/wide.h5", "\(dir)/from-h5.bin"]),
            ("sharded safetensors input", [try makeWideShards(in: dir), "\(dir)/from-shards.safetensors", "--heads", "8"]),
        ]
        for (what, arguments) in conversions {
            let rss = try maxRSS(arguments)
            #expect(underSanitizer || rss <= limit, "\(what): max RSS \(rss >> 20) MiB, limit \(limit >> 20) MiB")
        }
        // The input is 150 MB: without releasing mapped pages the RSS would pass it.
        let size = (try FileManager.default.attributesOfItem(atPath: input)[.size] as? Int) ?? 0
        #expect(size > 140_000_000 && limit < size)
    }

    @Test("a progress bar is drawn on a terminal for inputs over 100 MB, and erased")
    func progressBar() throws {
        let dir = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = "\(dir)/big.safetensors"
        try makeLargeCheckpoint(input)
        let tool = productsFolder.appendingPathComponent("vit-convert").path
        // script(1) gives the tool a pseudo-terminal, so isatty(2) is true.
        let r = try runProgram("/usr/bin/script", ["-qec", "\(tool) \(input) \(dir)/out.bin --heads 2", "/dev/null"])
        #expect(r.status == 0, "\(r.stdout)")
        // The last frame (head.bias is written last in canonical order), then the erase, then the notes and summary.
        #expect(r.stdout.contains("\r\u{1B}[K[##############################] 100%  211/211 MB  head.bias\r\u{1B}[Knote: "))
        #expect(r.stdout.contains("wrote \(dir)/out.bin: 32 tensors, 211."))
        // Without a terminal (a pipe), no bar.
        try FileManager.default.removeItem(atPath: "\(dir)/out.bin")
        let piped = try runTool("vit-convert", [input, "\(dir)/out.bin", "--heads", "2"])
        #expect(!piped.stderr.contains("["))
    }
}
