import Foundation
import Testing
import ViTBin
import ViTFormats
import ViTModel
import ViTNumpy
import ViTSafetensors
import ViTTensor

/// Headers that claim absurd sizes. Each must be refused quickly, by a check on the numbers, without
/// allocating or touching what they claim: in-process (exact error, < 1 s) and in a fresh replayer
/// process that maps the file as the library does (peak RSS growth < 32 MiB over a valid file).
@Suite("hostile sizes: refused quickly without allocating what the header claims")
struct HostileSizeTests {
    let folder = makeTempFolder("hostile")

    func path(_ name: String) -> String { folder + "/" + name }

    // MARK: safetensors

    @Test("a safetensors tensor claiming 2^60 elements in 8 bytes is a size mismatch")
    func safetensorsHugeShape() throws {
        defer { removeFolder(folder) }
        let p = path("huge.safetensors")
        try writeFile(p, safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[1073741824,1073741824],"data_offsets":[0,8]}}"#,
                                          data: [UInt8](repeating: 0, count: 8)))
        let (error, seconds) = timed { thrownError { _ = try SafetensorsFile(path: p) } }
        #expect(error as? SafetensorsError == .tensorSizeMismatch(file: p, tensor: "w", expectedBytes: 1 << 62, foundBytes: 8))
        #expect(seconds < refusalSeconds)
        // The same through the opener every tool uses.
        #expect(thrownError { _ = try CheckpointOpener.open(p) } as? SafetensorsError
                == .tensorSizeMismatch(file: p, tensor: "w", expectedBytes: 1 << 62, foundBytes: 8))
        try expectRefusedCheaply("fuzz-safetensors", p, baselineKiB: try baselineRSSKiB("fuzz-safetensors"))
    }

    @Test("a safetensors tensor claiming 2^60 elements with matching offsets is refused at the file's real size")
    func safetensorsHugeOffsets() throws {
        defer { removeFolder(folder) }
        let p = path("huge-offsets.safetensors")
        try writeFile(p, safetensorsBytes(
            header: #"{"w":{"dtype":"F32","shape":[1073741824,1073741824],"data_offsets":[0,4611686018427387904]}}"#,
            data: [UInt8](repeating: 0, count: 8)))
        let (error, seconds) = timed { thrownError { _ = try SafetensorsFile(path: p) } }
        #expect(error as? SafetensorsError == .incompleteBuffer(file: p, dataEnd: 1 << 62, dataSize: 8))
        #expect(seconds < refusalSeconds)
        try expectRefusedCheaply("fuzz-safetensors", p, baselineKiB: try baselineRSSKiB("fuzz-safetensors"))
    }

    @Test("a safetensors shape whose byte size overflows 64 bits is an invalid shape")
    func safetensorsOverflowingShape() throws {
        defer { removeFolder(folder) }
        let p = path("overflow.safetensors")
        try writeFile(p, safetensorsBytes(header: #"{"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#))
        let error = thrownError { _ = try SafetensorsFile(path: p) }
        #expect(error as? SafetensorsError == .invalidShape(file: p, tensor: "w", shape: [1 << 32, 1 << 32], dtype: "F64"))
    }

    @Test("a negative safetensors dimension is refused as an invalid shape field")
    func safetensorsNegativeDimension() throws {
        defer { removeFolder(folder) }
        let p = path("negative.safetensors")
        try writeFile(p, safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,16]}}"#,
                                          data: [UInt8](repeating: 0, count: 16)))
        let error = thrownError { _ = try SafetensorsFile(path: p) }
        guard case let .invalidField(file, tensor, field, _, _)? = error as? SafetensorsError else {
            Issue.record("expected invalidField, got \(String(describing: error))"); return
        }
        #expect((file, tensor, field) == (p, "w", "shape"))
        #expect("\(error!)".contains(p))
    }

    @Test("a safetensors header nesting JSON 100,000 deep fails at the depth limit, not the stack")
    func safetensorsDeepJSON() throws {
        defer { removeFolder(folder) }
        let p = path("deep.safetensors")
        let json = #"{"w":{"dtype":"F32","x":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}}"
        try writeFile(p, safetensorsBytes(header: json))
        let (error, seconds) = timed { thrownError { _ = try SafetensorsFile(path: p) } }
        guard case let .jsonTooDeep(file, _, limit)? = error as? SafetensorsError else {
            Issue.record("expected jsonTooDeep, got \(String(describing: error))"); return
        }
        #expect(file == p && limit == 64)
        #expect(seconds < refusalSeconds)
        try expectRefusedCheaply("fuzz-safetensors", p, baselineKiB: try baselineRSSKiB("fuzz-safetensors"))
    }

    @Test("an index.json nesting JSON 100,000 deep fails at the depth limit")
    func indexDeepJSON() throws {
        defer { removeFolder(folder) }
        let p = path("model.safetensors.index.json")
        try writeFile(p, Array((#"{"unknown_key":"# + String(repeating: "[", count: 100_000)).utf8))
        let error = thrownError { _ = try SafetensorsIndex(path: p) }
        guard case let .jsonTooDeep(file, _, _)? = error as? SafetensorsError else {
            Issue.record("expected jsonTooDeep, got \(String(describing: error))"); return
        }
        #expect(file == p)
    }

    @Test("a 100 MB safetensors header (a sparse file) is refused at its first byte without a copy")
    func safetensorsHundredMegabyteHeader() throws {
        defer { removeFolder(folder) }
        let p = path("padded.safetensors")
        let n = SafetensorsHeader.maxHeaderLength
        try writeSparseFile(p, prefix: le64(UInt64(n)), size: 8 + n)
        let (error, seconds) = timed { thrownError { _ = try SafetensorsFile(path: p) } }
        #expect(error as? SafetensorsError == .invalidJSON(file: p, offset: 0, expected: "a JSON object", found: "a NUL byte"))
        #expect(seconds < refusalSeconds)
        // The header is read in place from the mapping: RSS may grow by the pages read (here up to the
        // 100 MB of the header itself), never by a copy of it or by anything it claims.
        try expectRefusedCheaply("fuzz-safetensors", p, baselineKiB: try baselineRSSKiB("fuzz-safetensors"),
                                 boundKiB: n / 1024 + hostileRSSBoundKiB)
    }

    @Test("a 100 MB header of spaces after an empty object is scanned in place: an empty checkpoint, no copy")
    func safetensorsWhitespaceHeader() throws {
        defer { removeFolder(folder) }
        let p = path("spaces.safetensors")
        let n = SafetensorsHeader.maxHeaderLength
        try writeFile(p, le64(UInt64(n)) + Array("{}".utf8), thenRepeating: 0x20, count: n - 2)
        let (header, seconds) = timed { try? SafetensorsFile(path: p) }
        #expect(header?.tensorInfos.isEmpty == true, "whitespace padding is valid JSON whitespace, as in the Rust crate")
        #expect(seconds < 2 * refusalSeconds, "scanning 100 MB of whitespace took \(seconds) s")
        try expectCheap("fuzz-safetensors", p, boundKiB: n / 1024 + hostileRSSBoundKiB)
    }

    @Test("a safetensors header length of 2^63 is refused before anything is read")
    func safetensorsHugeHeaderLength() throws {
        defer { removeFolder(folder) }
        let p = path("length.safetensors")
        try writeFile(p, le64(1 << 63) + Array("{}".utf8))
        #expect(thrownError { _ = try SafetensorsFile(path: p) } as? SafetensorsError
                == .headerTooLarge(file: p, headerLength: 1 << 63, limit: SafetensorsHeader.maxHeaderLength))
    }

    // MARK: .npy

    @Test("an .npy header claiming 10^12 floats in a 128-byte file is refused as truncated")
    func npyHugeShape() throws {
        defer { removeFolder(folder) }
        let p = path("huge.npy")
        try writeFile(p, npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,), }"))
        let (error, seconds) = timed { thrownError { _ = try NpyFile(path: p) } }
        #expect(error as? NpyError == .truncated(file: p, expectedBytes: 128 + 4_000_000_000_000, foundBytes: 128))
        #expect(seconds < refusalSeconds)
        try expectRefusedCheaply("fuzz-npy", p, baselineKiB: try baselineRSSKiB("fuzz-npy"))
    }

    @Test("an .npy shape whose byte size overflows is an invalid shape; a negative dimension a malformed header")
    func npyOverflowingAndNegativeShapes() throws {
        defer { removeFolder(folder) }
        let big = path("overflow.npy"), negative = path("negative.npy")
        try writeFile(big, npyBytes("{'descr': '<f8', 'fortran_order': True, 'shape': (4294967296, 4294967296), }"))
        try writeFile(negative, npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3), }"))
        #expect(thrownError { _ = try NpyFile(path: big) } as? NpyError == .invalidShape(file: big, shape: [1 << 32, 1 << 32]))
        // Int.max bytes of data do not overflow alone, but do with the header in front (found by fuzz-npy).
        let edge = path("edge.npy")
        try writeFile(edge, npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 9223372036854775807), }"))
        #expect(thrownError { _ = try NpyFile(path: edge) } as? NpyError == .invalidShape(file: edge, shape: [1, Int.max]))
        guard case let .malformedHeader(file, detail)? = thrownError({ _ = try NpyFile(path: negative) }) as? NpyError else {
            Issue.record("expected malformedHeader for a negative dimension"); return
        }
        #expect(file == negative && detail.contains("non-negative integer dimension"))
    }

    @Test("an .npy header length of 4 GiB is refused before it is read")
    func npyHugeHeaderLength() throws {
        defer { removeFolder(folder) }
        let p = path("length.npy")
        try writeFile(p, [0x93] + Array("NUMPY".utf8) + [2, 0] + le32(0xFFFF_FFFF) + Array("{}".utf8))
        #expect(thrownError { _ = try NpyFile(path: p) } as? NpyError
                == .headerTooLarge(file: p, length: 0xFFFF_FFFF, limit: NpyHeader.maxHeaderLength))
    }

    // MARK: .bin

    @Test("a .bin tensor claiming 4 TiB is out of bounds of the real file")
    func binHugeTensor() throws {
        defer { removeFolder(folder) }
        let p = path("huge.bin")
        let bytes = binFile(shape: [1 << 40], byteLength: 1 << 42)
        try writeFile(p, bytes)
        let (error, seconds) = timed { thrownError { _ = try BinFile(path: p) } }
        guard case let .tensorOutOfBounds(file, tensor, _, length, size)? = error as? BinError else {
            Issue.record("expected tensorOutOfBounds, got \(String(describing: error))"); return
        }
        #expect((file, tensor, length, size) == (p, "w", 1 << 42, bytes.count))
        #expect(seconds < refusalSeconds)
        try expectRefusedCheaply("fuzz-bin", p, baselineKiB: try baselineRSSKiB("fuzz-bin"))
    }

    @Test("a .bin shape whose byte size overflows 64 bits is a shape overflow")
    func binOverflowingShape() throws {
        defer { removeFolder(folder) }
        let p = path("overflow.bin")
        try writeFile(p, binFile(shape: [1 << 62, 8], byteLength: 0))
        #expect(thrownError { _ = try BinFile(path: p) } as? BinError == .shapeOverflow(file: p, tensor: "w", shape: [1 << 62, 8]))
    }

    @Test("a .bin header claiming 4 billion tensors in a few bytes stops at the end of the header")
    func binHugeTensorCount() throws {
        defer { removeFolder(folder) }
        let p = path("count.bin")
        try writeFile(p, binFile(tensorCount: 0xFFFF_FFFF, shape: [1], byteLength: 4))
        let (error, seconds) = timed { thrownError { _ = try BinFile(path: p) } }
        guard case let .malformedHeader(file, _, _)? = error as? BinError else {
            Issue.record("expected malformedHeader, got \(String(describing: error))"); return
        }
        #expect(file == p)
        #expect(seconds < refusalSeconds)
        try expectRefusedCheaply("fuzz-bin", p, baselineKiB: try baselineRSSKiB("fuzz-bin"))
    }

    @Test("a .bin header length of 2^63 is refused before anything is read")
    func binHugeHeaderLength() throws {
        defer { removeFolder(folder) }
        let p = path("length.bin")
        try writeFile(p, BinFormat.magic + le32(1) + le32(0) + le64(1 << 63) + [UInt8](repeating: 0, count: 64))
        #expect(thrownError { _ = try BinFile(path: p) } as? BinError
                == .headerTooLarge(file: p, length: 1 << 63, limit: BinFormat.maxHeaderLength))
    }

    // MARK: model config

    @Test("a zero patch size or depth in a config is refused by validation")
    func configZeroDimensions() throws {
        defer { removeFolder(folder) }
        #expect(thrownError { try ViTConfig(patchSize: [0, 16], embedDim: 192, depth: 2, numHeads: 3).validate() }
                as? ViTConfigError == .notPositive(field: "patch_size[0]", value: 0))
        #expect(thrownError { try ViTConfig(embedDim: 0, depth: 2, numHeads: 3).validate() }
                as? ViTConfigError == .notPositive(field: "embed_dim", value: 0))
        #expect(thrownError { try ViTConfig(embedDim: 192, depth: -1, numHeads: 3).validate() }
                as? ViTConfigError == .notPositive(field: "depth", value: -1))
    }

    @Test("a config.json nesting JSON 100,000 deep is refused without exhausting the stack")
    func configDeepJSON() throws {
        defer { removeFolder(folder) }
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let (error, seconds) = timed { thrownError { _ = try ViTConfig.fromJSON(text) } }
        #expect(error != nil)
        #expect(seconds < refusalSeconds)
    }

    /// A version 1.0 `.npy` file with `dict` as its header (padded to 128 bytes) and no data.
    func npyBytes(_ dict: String) -> [UInt8] {
        var text = dict
        text += String(repeating: " ", count: 128 - 10 - text.utf8.count - 1) + "\n"
        return [0x93] + Array("NUMPY".utf8) + [1, 0] + [UInt8(text.utf8.count & 0xFF), UInt8(text.utf8.count >> 8)] + Array(text.utf8)
    }

    /// Runs the replayer on `file` in a fresh process; checks its peak RSS growth over the baseline.
    func expectCheap(_ tool: String, _ file: String, boundKiB: Int) throws {
        let baseline = try baselineRSSKiB(tool)
        let run = try runChild(product(tool), [file])
        reportCost(file, run, baselineKiB: baseline)
        #expect(run.succeeded, "\(run.stderr)")
        let peak = run.reportedPeakRSSKiB ?? Int.max
        #expect(!checksRSS || peak - baseline < boundKiB, "peak RSS \(peak) KiB vs baseline \(baseline) KiB")
    }
}
