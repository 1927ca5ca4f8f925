import Foundation
import Testing
import ViTTensor
@testable import ViTHDF5

/// A small state dict covering every dtype the writer stores.
func sampleTensors() throws -> [(String, Tensor)] {
    let base: [Float] = [1, -2.5, 0, -0.0, .infinity, -.infinity, 65504, 1e-7, 3.14159, -1e30, 0.1, 42]
    let f32 = try Tensor(shape: [3, 4], float32: base)
    func le<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] { values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } } }
    return [
        ("blocks.0.attn.qkv.weight", f32),
        ("blocks.0.attn.qkv.bias", try f32.reshaped([12]).converted(to: .f16)),
        ("head.weight", try f32.converted(to: .bf16)),
        ("pos_embed", try f32.reshaped([1, 3, 4]).converted(to: .f64)),
        ("cls_token", try Tensor(shape: [], float32: [0.5])),
        ("empty", try Tensor(shape: [0, 4], float32: [])),
        ("steps", try Tensor(dtype: .i64, shape: [2], bytes: le([Int64.min, 7]))),
        ("ids", try Tensor(dtype: .u32, shape: [3], bytes: le([UInt32.max, 0, 1]))),
        ("small", try Tensor(dtype: .i8, shape: [2], bytes: [0x80, 0x7F])),
        ("mask", try Tensor(dtype: .bool, shape: [2, 2], bytes: [1, 0, 0, 1])),
    ]
}

@Suite("HDF5 writer")
struct HDF5WriterTests {
    @Test("write then read gives back every tensor bit for bit, in the order written",
          arguments: [HDF5WriteOptions.contiguous, .gzip(level: 6), HDF5WriteOptions(gzipLevel: 1, shuffle: false),
                      HDF5WriteOptions(chunked: true, chunkBytes: 8)])
    func roundTrip(options: HDF5WriteOptions) throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tensors = try sampleTensors()
        try HDF5Writer.write(tensors, attributes: ["vitkit_config": #"{"embed_dim": 4}"#, "format": "pt"], to: path, options: options)
        let h5 = try HDF5File(path: path)
        #expect(Set(h5.tensorNames) == Set(tensors.map(\.0)))
        #expect(h5.tensorNames == tensors.map(\.0).sorted())  // HDF5 lists members by name
        for (name, tensor) in tensors {
            #expect(try h5.tensor(named: name) == tensor, "\(name)")
            #expect(h5.datasets.first { $0.info.name == name }?.path == "/" + name)
        }
        #expect(h5.metadata == ["vitkit_config": #"{"embed_dim": 4}"#, "format": "pt"])
        #expect(try h5.attributes(of: "head.weight") == ["dtype": .string("bfloat16")])
        #expect(try h5.attributes(of: "blocks.0.attn.qkv.weight").isEmpty)
        #expect(h5.unreadableDatasets.isEmpty)
    }

    @Test("gzip makes a compressible tensor smaller on disk than contiguous storage")
    func gzipCompresses() throws {
        let plain = temporaryPath(), packed = temporaryPath()
        defer { for p in [plain, packed] { try? FileManager.default.removeItem(atPath: p) } }
        let t = try Tensor(shape: [256, 256], float32: [Float](repeating: 0.25, count: 65536))
        try HDF5Writer.write([("w", t)], to: plain)
        try HDF5Writer.write([("w", t)], to: packed, options: .gzip(level: 9))
        let plainSize = try FileManager.default.attributesOfItem(atPath: plain)[.size] as? Int ?? 0
        let packedSize = try FileManager.default.attributesOfItem(atPath: packed)[.size] as? Int ?? 0
        #expect(plainSize > 262_144)
        #expect(packedSize < 20_000)
        #expect(try HDF5File(path: packed).tensor(named: "w") == t)
    }

    @Test("chunk shapes halve the largest dimension until a chunk fits")
    func chunkShapes() {
        let o = HDF5WriteOptions(chunked: true, chunkBytes: 1024)
        #expect(o.chunkShape(for: [16, 16], elementSize: 4) == [16, 16])
        #expect(o.chunkShape(for: [64, 64], elementSize: 4) == [16, 16])
        #expect(o.chunkShape(for: [3, 1000], elementSize: 4) == [3, 63])
        #expect(o.chunkShape(for: [], elementSize: 4) == nil)
        #expect(o.chunkShape(for: [0, 4], elementSize: 4) == nil)
        #expect(HDF5WriteOptions.contiguous.chunkShape(for: [64, 64], elementSize: 4) == nil)
    }

    @Test("a writer dropped without commit leaves no file and no temporary file")
    func abandonLeavesNothing() throws {
        let folder = NSTemporaryDirectory() + "vitkit-hdf5-abandon-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/model.h5"
        do {
            let writer = try HDF5Writer(destination: path)
            try writer.write(try Tensor(shape: [2], float32: [1, 2]), named: "a")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).count == 1)  // the temporary file
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test("an existing destination is kept unless overwrite is asked for")
    func overwrite() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try HDF5Writer.write([("a", try Tensor(shape: [1], float32: [1]))], to: path)
        #expect(throws: AtomicFileError.outputExists(path: path)) {
            try HDF5Writer.write([("b", try Tensor(shape: [1], float32: [2]))], to: path)
        }
        #expect(try HDF5File(path: path).tensorNames == ["a"])
        try HDF5Writer.write([("b", try Tensor(shape: [1], float32: [2]))], to: path, overwrite: true)
        #expect(try HDF5File(path: path).tensorNames == ["b"])
    }

    @Test("bad names, repeated names, 8-bit floats, bad options and use after commit are refused")
    func writerErrors() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let t = try Tensor(shape: [1], float32: [1])
        let writer = try HDF5Writer(destination: path)
        for bad in ["", ".", "..", "a/b", "a\u{0}b"] {
            #expect(throws: HDF5Error.invalidTensorName(file: path, name: bad)) { try writer.write(t, named: bad) }
        }
        try writer.write(t, named: "x")
        #expect(throws: HDF5Error.duplicateTensorName(file: path, name: "x")) { try writer.write(t, named: "x") }
        let f8 = try Tensor(dtype: .f8e4m3, shape: [1], bytes: [0x38])
        #expect(throws: HDF5Error.unsupportedDType(file: path, tensor: "f8", dtype: .f8e4m3)) { try writer.write(f8, named: "f8") }
        try writer.setStringAttribute("one", named: "note")
        try writer.setStringAttribute("two", named: "note")
        #expect(writer.names == ["x"])
        try writer.commit()
        #expect(throws: HDF5Error.writerClosed(file: path)) { try writer.write(t, named: "y") }
        #expect(throws: HDF5Error.writerClosed(file: path)) { try writer.commit() }
        #expect(try HDF5File(path: path).metadata == ["note": "two"])
        #expect(throws: HDF5Error.invalidOption(file: path + "2", detail: "gzip level 10 is outside 0…9")) {
            try HDF5Writer(destination: path + "2", options: HDF5WriteOptions(gzipLevel: 10))
        }
        #expect(throws: AtomicFileError.missingFolder(path: "/nonexistent-vitkit/x.h5")) {
            try HDF5Writer(destination: "/nonexistent-vitkit/x.h5")
        }
    }

    /// Writes the sample file for the one-time h5py check in docs/hdf5.md when VITKIT_HDF5_SAMPLE names a path.
    @Test("the h5py sample file is written when VITKIT_HDF5_SAMPLE is set",
          .enabled(if: ProcessInfo.processInfo.environment["VITKIT_HDF5_SAMPLE"] != nil))
    func writeSample() throws {
        let path = try #require(ProcessInfo.processInfo.environment["VITKIT_HDF5_SAMPLE"])
        try HDF5Writer.write(try sampleTensors(), attributes: ["vitkit_config": #"{"embed_dim": 4}"#], to: path,
                             overwrite: true, options: .gzip(level: 4))
        #expect(FileManager.default.fileExists(atPath: path))
    }
}

@Suite("HDF5 files and child processes")
struct HDF5ChildProcessTests {
    /// A program spawned while a file is being written must not inherit its descriptor: libhdf5 holds an
    /// flock on it, and a child holding the open file description keeps that lock after we close our
    /// descriptor, so reading the committed file back failed with EAGAIN ("unable to lock the file").
    @Test("a child process started while a file is written neither inherits it nor keeps it locked")
    func childDuringWrite() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try HDF5Writer(destination: path)
        // posix_spawn, as the fault tests and many programs do: it closes nothing that is not close-on-exec.
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("30"), nil]
        defer { argv.forEach { free($0) } }
        #expect(posix_spawn(&pid, "/bin/sleep", nil, nil, argv, environ) == 0)
        defer { kill(pid, SIGKILL); var status: Int32 = 0; waitpid(pid, &status, 0) }
        usleep(100_000)  // let it exec
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        let targets = fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)") }
        let name = URL(fileURLWithPath: path).lastPathComponent
        #expect(!targets.contains { $0.contains(name) }, "the child holds \(targets)")
        try writer.write(try Tensor(shape: [2], float32: [1, 2]), named: "w")
        try writer.commit()
        let h5 = try HDF5File(path: path)
        #expect(try h5.tensor(named: "w") == Tensor(shape: [2], float32: [1, 2]))
    }
}

@Suite("HDF5 writer on a full disk", .serialized)
struct HDF5FullDiskTests {
    @Test("the blocks reserved ahead are given back: a committed file occupies about its size on disk")
    func reservationTrimmed() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tensors = try (0..<16).map { i in ("w\(i)", try Tensor(shape: [256, 256], float32: [Float](repeating: 1, count: 65536))) }
        try HDF5Writer.write(tensors, to: path)
        var info = stat()
        try #require(stat(path, &info) == 0)
        // Reserved: 16 × (256 KiB + 1 KiB + 8 KiB) + 64 KiB ≈ 4.3 MiB against a 4 MiB file.
        #expect(Int(info.st_blocks) * 512 <= Int(info.st_size) + 64 * 1024, "\(info.st_blocks * 512) bytes allocated for \(info.st_size)")
    }

    /// libhdf5 1.10 cannot recover from a failed metadata write: the file stays half-closed inside the
    /// library and its exit handler crashes on it. The writer reserves the space ahead and reports a full
    /// disk before libhdf5 writes, so the file closes cleanly and nothing stays open.
    @Test("a full disk is reported before libhdf5 writes: a clean error, no file left, nothing left open in libhdf5",
          .enabled(if: getuid() == 0, "mounting a tmpfs needs root"),
          arguments: [64 << 10, 96 << 10, 160 << 10])
    func fullDisk(size: Int) throws {
        let mountPoint = NSTemporaryDirectory() + "vitkit-hdf5-full-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: mountPoint) }
        try #require("size=\(size)".withCString { mount("tmpfs", mountPoint, "tmpfs", 0, $0) } == 0)
        defer { umount2(mountPoint, Int32(MNT_DETACH)) }
        let tensors = try (0..<8).map { i in ("w\(i)", try Tensor(shape: [64, 64], float32: [Float](repeating: Float(i), count: 4096))) }
        #expect {
            try HDF5Writer.write(tensors, attributes: ["vitkit_config": "{}"], to: mountPoint + "/out.h5")
        } throws: { error in
            guard case let HDF5Error.io(file, _, message)? = error as? HDF5Error else { return false }
            return file == mountPoint + "/out.h5" && message == "No space left on device"
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint).isEmpty)
        #expect(!HDF5Library.openFileNames().contains { $0.hasPrefix(mountPoint) }, "\(HDF5Library.openFileNames())")
    }
}
