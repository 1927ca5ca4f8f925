import Foundation
import Testing
import ViTTestSupport
import ViTBin
import ViTConvert
import ViTFormats
import ViTMapping
import ViTSafetensors
import ViTTensor
#if canImport(Glibc)
import Glibc
#endif

/// The promises of a conversion: it never writes over its input (by path, symlink or hard link, or a
/// shard of it), never replaces an output without being asked, names each problem with the files, and
/// leaves no partial output (nor a temporary file) when it fails or is cancelled.
@Suite("Conversion safety")
struct SafetyTests {
    let c: ConventionCase
    init() throws { c = try ConventionCase("timm_plain") }

    /// A copy of the timm_plain fixture in a fresh folder: (folder, path).
    func copiedInput(_ name: String = "in.safetensors") throws -> (String, String) {
        let dir = makeTempFolder()
        let path = "\(dir)/\(name)"
        try FileManager.default.copyItem(atPath: c.weights, toPath: path)
        return (dir, path)
    }

    func request(_ input: String, _ output: String, overwrite: Bool = false) -> ConversionRequest {
        ConversionRequest(input: input, output: output, mapping: c.mapping, overwrite: overwrite)
    }

    @Test("the output is refused when it is the input, with or without --force")
    func samePath() throws {
        let (dir, input) = try copiedInput("m.safetensors")
        let before = try FileFingerprint(input)
        for overwrite in [false, true] {
            #expect(throws: ConvertError.outputIsInput(output: input, input: input)) {
                try Converter.convert(request(input, input, overwrite: overwrite))
            }
        }
        // Spelled differently (./, ..) it is still the input.
        let other = "\(dir)/../\(URL(fileURLWithPath: dir).lastPathComponent)/./m.safetensors"
        #expect(throws: ConvertError.outputIsInput(output: other, input: input)) {
            try Converter.convert(request(input, other, overwrite: true))
        }
        #expect(try FileFingerprint(input) == before)
        #expect(folderEntries(dir) == ["m.safetensors"])
    }

    @Test("a symlink to the input and a hard link to the input are refused as outputs")
    func links() throws {
        let (dir, input) = try copiedInput()
        let before = try FileFingerprint(input)
        let soft = "\(dir)/sym.safetensors", hard = "\(dir)/hard.safetensors"
        #expect(symlink(input, soft) == 0)
        #expect(link(input, hard) == 0)
        for out in [soft, hard] {
            #expect(throws: ConvertError.outputIsInput(output: out, input: input)) {
                try Converter.convert(request(input, out, overwrite: true))
            }
        }
        // And the other way round: the input given through a link, the output the real file.
        #expect(throws: ConvertError.outputIsInput(output: input, input: soft)) {
            try Converter.convert(request(soft, input, overwrite: true))
        }
        #expect(try FileFingerprint(input) == before)
        #expect(folderEntries(dir) == ["hard.safetensors", "in.safetensors", "sym.safetensors"])
    }

    /// timm_plain split into two shards with an index, in a fresh folder.
    func shardedInput() throws -> (dir: String, index: String, shards: [String]) {
        let dir = makeTempFolder()
        let original = try c.canonical()
        let half = original.order.count / 2
        let parts = [Array(original.order[..<half]), Array(original.order[half...])]
        var map: [String: String] = [:]
        var shards: [String] = []
        for (i, names) in parts.enumerated() {
            let file = String(format: "model-%05d-of-00002.safetensors", i + 1)
            try SafetensorsWriter.write(tensors: names.map { ($0, original.tensors[$0]!) }, to: "\(dir)/\(file)")
            for n in names { map[n] = file }
            shards.append("\(dir)/\(file)")
        }
        let json = try JSONSerialization.data(withJSONObject: ["metadata": ["total_size": 1], "weight_map": map])
        let index = "\(dir)/model.safetensors.index.json"
        try json.write(to: URL(fileURLWithPath: index))
        return (dir, index, shards)
    }

    @Test("a shard of a sharded input is refused as the output; a new file beside the shards is fine")
    func shards() throws {
        let s = try shardedInput()
        let before = try s.shards.map(FileFingerprint.init)
        for input in [s.index, s.dir] {
            #expect(throws: ConvertError.outputIsInput(output: s.shards[1], input: s.shards[1])) {
                try Converter.convert(request(input, s.shards[1], overwrite: true))
            }
        }
        #expect(try s.shards.map(FileFingerprint.init) == before)
        // Writing inside the input folder is fine.
        let report = try Converter.convert(request(s.dir, "\(s.dir)/converted.bin"))
        #expect(report.tensorCount == 32)
        let back = try ViTMapper.loadCanonical(try CheckpointOpener.open("\(s.dir)/converted.bin"))
        #expect(back.tensors == (try c.canonical()).tensors)
        #expect(try s.shards.map(FileFingerprint.init) == before)
    }

    @Test("an existing output is refused without overwrite and replaced with it")
    func existing() throws {
        let (dir, input) = try copiedInput()
        let out = "\(dir)/out.bin"
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: out))
        #expect(throws: ConvertError.outputExists(path: out)) { try Converter.convert(request(input, out)) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data("keep me".utf8))
        // A dangling symlink is an existing entry too.
        let dangling = "\(dir)/dangling.bin"
        #expect(symlink("\(dir)/nowhere", dangling) == 0)
        #expect(throws: ConvertError.outputExists(path: dangling)) { try Converter.convert(request(input, dangling)) }
        _ = try Converter.convert(request(input, out, overwrite: true))
        #expect(try CheckpointOpener.open(out).tensorInfos.count == 32)
        #expect(folderEntries(dir) == ["dangling.bin", "in.safetensors", "out.bin"])
    }

    @Test("a folder at the output path is refused")
    func outputFolder() throws {
        let (dir, input) = try copiedInput()
        let out = "\(dir)/folder.bin"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        for overwrite in [false, true] {
            #expect(throws: ConvertError.outputIsFolder(path: out)) { try Converter.convert(request(input, out, overwrite: overwrite)) }
        }
    }

    @Test("a missing output folder gets its own message")
    func missingFolder() throws {
        let (dir, input) = try copiedInput()
        let out = "\(dir)/no/such/folder/m.safetensors"
        #expect(throws: ConvertError.outputFolderMissing(path: out, folder: "\(dir)/no/such/folder")) {
            try Converter.convert(request(input, out))
        }
        #expect(ConvertError.outputFolderMissing(path: out, folder: "\(dir)/no/such/folder").description
                == "\(out): the output folder \(dir)/no/such/folder does not exist (create it first)")
    }

    @Test("a missing input and an unreadable input get their own messages")
    func badInputs() throws {
        let dir = makeTempFolder()
        #expect(throws: ConvertError.inputNotFound(path: "\(dir)/nope.safetensors")) {
            try Converter.convert(request("\(dir)/nope.safetensors", "\(dir)/m.bin"))
        }
        // Root reads any mode-000 file; a write-only procfs file is unreadable even for root.
        let unreadable: String
        if geteuid() == 0 {
            unreadable = "/proc/sys/vm/drop_caches"
        } else {
            let (_, input) = try copiedInput()
            chmod(input, 0)
            unreadable = input
        }
        #expect(throws: ConvertError.inputUnreadable(path: unreadable, message: "Permission denied")) {
            try Converter.convert(request(unreadable, "\(dir)/m.bin"))
        }
        #expect(ConvertError.inputUnreadable(path: "x.safetensors", message: "Permission denied").description
                == "x.safetensors: cannot read the input: Permission denied")
        #expect(folderEntries(dir).isEmpty)
    }

    @Test("an output extension other than .bin, .safetensors, .h5 is refused listing the three")
    func extensions() throws {
        let (dir, input) = try copiedInput()
        for (out, ext) in [("m.pt", "pt"), ("m", ""), ("m.json", "json"), (".safetensors", "")] {
            #expect(throws: ConvertError.unsupportedOutputExtension(path: "\(dir)/\(out)", found: ext)) {
                try Converter.convert(request(input, "\(dir)/\(out)"))
            }
        }
        #expect(ConvertError.unsupportedOutputExtension(path: "m.pt", found: "pt").description
                == "m.pt: cannot tell the output format from '.pt'; use one of .bin, .safetensors, .h5")
        #expect(try OutputFormat(path: "a/B.SafeTensors") == .safetensors)
        #expect(try OutputFormat(path: "x.v2.h5") == .hdf5)
    }

    @Test("a cancelled conversion leaves neither output nor temporary file, and an old output untouched",
          arguments: OutputFormat.allCases)
    func cancelled(_ format: OutputFormat) throws {
        let (dir, input) = try copiedInput()
        let out = "\(dir)/out.\(format.fileExtension)"
        let cancel = Cancellation()
        var calls = 0
        let req = ConversionRequest(input: input, output: out, mapping: c.mapping, cancellation: cancel)
        #expect(throws: ConvertError.cancelled(output: out)) {
            try Converter.convert(req) { p in
                calls += 1
                if p.tensorsDone == 3 { cancel.cancel() }
            }
        }
        #expect(calls == 3)
        #expect(folderEntries(dir) == ["in.safetensors"])
        // With an existing output and overwrite allowed, the old file stays as it was.
        try Data("old".utf8).write(to: URL(fileURLWithPath: out))
        let cancel2 = Cancellation()
        var req2 = req
        req2.overwrite = true
        req2.cancellation = cancel2
        #expect(throws: ConvertError.cancelled(output: out)) {
            try Converter.convert(req2) { p in if p.tensorsDone == 10 { cancel2.cancel() } }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data("old".utf8))
        #expect(folderEntries(dir) == ["in.safetensors", "out.\(format.fileExtension)"])
    }

    @Test("a read error half-way (a tensor that changed since planning) leaves no output")
    func failsHalfWay() throws {
        let (dir, input) = try copiedInput()
        let out = "\(dir)/out.safetensors"
        let source = try CheckpointOpener.open(input)
        // Plan from the real headers, then make the tensor reads disagree: a source that lies about one tensor.
        let lying = LyingSource(source, wrong: "blocks.1.mlp.fc1.weight")
        #expect(throws: MappingError.self) {
            try Converter.convert(request(input, out), from: lying)
        }
        #expect(folderEntries(dir) == ["in.safetensors"])
    }

    @Test("a disk without room for the tensors is refused before anything is written")
    func space() throws {
        let dir = makeTempFolder()
        var fs = statvfs()
        #expect(statvfs(dir, &fs) == 0)
        let available = Int(fs.f_bavail) * Int(fs.f_frsize)
        let need = available + (1 << 30)
        #expect(throws: ConvertError.self) { try PathChecks.checkSpace("\(dir)/m.bin", bytes: need) }
        do {
            try PathChecks.checkSpace("\(dir)/m.bin", bytes: need)
        } catch let ConvertError.notEnoughSpace(path, needed, found) {
            #expect(path == "\(dir)/m.bin" && needed == need && abs(found - available) < (64 << 20))
        }
        try PathChecks.checkSpace("\(dir)/m.bin", bytes: 1 << 20)
        #expect(ConvertError.notEnoughSpace(path: "m.bin", needed: 10, available: 5).description
                == "m.bin: not enough free space: the tensors need 10 bytes, the disk has 5 bytes available")
    }

    @Test("a .bin input with a corrupt byte fails its checksum and nothing is written")
    func corruptBin() throws {
        let (dir, input) = try copiedInput()
        let bin = "\(dir)/m.bin"
        _ = try Converter.convert(request(input, bin))
        // Flip one byte of tensor data (the header has its own checksum).
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: bin))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size - 200)
        let byte = try handle.read(upToCount: 1) ?? Data([0])
        try handle.seek(toOffset: size - 200)
        try handle.write(contentsOf: Data([byte[0] ^ 0x01]))
        try handle.close()
        var expected: BinError?
        do { _ = try BinFile(path: bin) } catch let e as BinError { expected = e }
        let error = try #require(expected)
        guard case .checksumMismatch = error else { Issue.record("BinFile reported \(error)"); return }
        #expect(throws: error) { try Converter.convert(request(bin, "\(dir)/out.safetensors")) }
        #expect(folderEntries(dir) == ["in.safetensors", "m.bin"])
    }

    @Test("the input file is never modified: same bytes, inode and modification time after every format")
    func inputUntouched() throws {
        let (dir, input) = try copiedInput()
        let before = try FileFingerprint(input)
        for f in OutputFormat.allCases { _ = try Converter.convert(request(input, "\(dir)/o.\(f.fileExtension)")) }
        #expect(try FileFingerprint(input) == before)
    }

    @Test("progress reports every tensor once, in order, ending at the total")
    func progress() throws {
        let (dir, input) = try copiedInput()
        var seen: [ConversionProgress] = []
        let report = try Converter.convert(request(input, "\(dir)/o.bin")) { seen.append($0) }
        #expect(seen.map(\.tensorsDone) == Array(1...report.tensorCount))
        #expect(seen.last?.bytesDone == seen.last?.totalBytes)
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.bytesDone <= $1.bytesDone })
        let p = ConversionProgress(tensorsDone: 5, tensorCount: 10, bytesDone: 157_000_000, totalBytes: 350_000_000, tensor: "x")
        #expect(p.bar(width: 20) == "[########            ]  44%  157/350 MB  x")
    }

    @Test("the report's summary line names the file, tensors, size, format, dtype and time")
    func summary() throws {
        let (dir, input) = try copiedInput()
        let report = try Converter.convert(request(input, "\(dir)/o.safetensors"))
        let size = try FileManager.default.attributesOfItem(atPath: "\(dir)/o.safetensors")[.size] as? Int
        #expect(report.bytesWritten == size)
        #expect(report.summary.hasPrefix("wrote \(dir)/o.safetensors: 32 tensors, 0.092 MB, safetensors, f32, "))
        #expect(report.summary.hasSuffix(" s syncing to disk)"))
        #expect(report.syncSeconds <= report.seconds)
    }
}

/// A source whose `tensor(named:)` returns a wrong shape for one tensor (as if the file changed after planning).
final class LyingSource: TensorSource, @unchecked Sendable {
    let base: TensorSource
    let wrong: String
    init(_ base: TensorSource, wrong: String) {
        self.base = base
        self.wrong = wrong
    }
    var path: String { base.path }
    var formatName: String { base.formatName }
    var tensorInfos: [TensorInfo] { base.tensorInfos }
    var metadata: [String: String] { base.metadata }
    func tensor(named name: String) throws -> Tensor {
        let t = try base.tensor(named: name)
        return name == wrong ? try t.reshaped([t.elementCount]) : t
    }
}
