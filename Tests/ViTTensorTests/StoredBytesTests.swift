import Foundation
import Testing
@testable import ViTTensor

@Suite("reading stored bytes straight from a file")
struct StoredBytesTests {
    /// A fresh file of `count` counting bytes: (folder, path).
    func countingFile(_ count: Int) -> (String, String) {
        let d = NSTemporaryDirectory() + "vitkit-stored-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        let path = d + "/data"
        FileManager.default.createFile(atPath: path, contents: Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7) }))
        return (d, path)
    }

    func read(_ s: StoredBytes, _ offset: Int, _ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        try out.withUnsafeMutableBytes { try s.read(at: offset, into: $0) }
        return out
    }

    @Test("a mapped tensor's stored bytes, read in pieces, are its bytes; heap tensors have none")
    func mapped() throws {
        let (d, path) = countingFile(4096 + 24)
        defer { try? FileManager.default.removeItem(atPath: d) }
        let storage = try ByteStorage(mapping: path)
        #expect(storage.isFileBacked)
        let t = try Tensor(dtype: .f32, shape: [2, 3], storage: storage, offset: 4096)
        let s = try #require(StoredBytes(fileBacked: t, name: "w"))
        #expect(s.info == TensorInfo(name: "w", dtype: .f32, shape: [2, 3]))
        #expect(try read(s, 0, 24) == t.bytes)
        #expect(try read(s, 0, 10) + read(s, 10, 14) == t.bytes)
        #expect(StoredBytes(fileBacked: try Tensor(shape: [2], float32: [1, 2]), name: "h") == nil)
        #expect(!ByteStorage(copying: UnsafeRawBufferPointer(start: nil, count: 0)).isFileBacked)
    }

    @Test("a range outside the tensor or the file is refused; a file that shrank is an error, not short data")
    func refusals() throws {
        let (d, path) = countingFile(64)
        defer { try? FileManager.default.removeItem(atPath: d) }
        let storage = try ByteStorage(mapping: path)
        let t = try Tensor(dtype: .f32, shape: [4], storage: storage, offset: 48)
        let s = try #require(StoredBytes(fileBacked: t, name: "w"))
        #expect(throws: TensorError.io(path: "w", message: "bytes 8..<24 are outside the tensor's 16 bytes")) { try read(s, 8, 16) }
        #expect(throws: TensorError.io(path: path, message: "bytes 60..<68 are outside the file's 64 bytes")) {
            var b = [UInt8](repeating: 0, count: 8)
            try b.withUnsafeMutableBytes { try storage.readFile(at: 60, into: $0) }
        }
        #expect(truncate(path, 50) == 0)
        #expect(throws: TensorError.io(path: path, message: "the file ended early (it shrank while open)")) { try read(s, 0, 16) }
    }

    @Test("append(count:from:observing:) writes what read gives, piece by piece, each observed once in order; 0 bytes is nothing")
    func append() throws {
        let (d, _) = countingFile(0)
        defer { try? FileManager.default.removeItem(atPath: d) }
        let n = 2 * AtomicFile.copyBufferSize + 123
        let data = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 5) }
        let f = try AtomicFile(destination: d + "/out", overwrite: false)
        var observed: [UInt8] = []
        var pieces = 0
        try f.append(count: n, from: { offset, destination in
            destination.copyBytes(from: data[offset..<(offset + destination.count)])
        }, observing: { observed += $0; pieces += 1 })
        try f.append(count: 0, from: { _, _ in Issue.record("nothing to read") })
        try f.commit()
        #expect(pieces == 3)
        #expect(observed == data)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: d + "/out"))) == data)
    }

    @Test("a failing read stops append with its own error; the abandoned file leaves nothing")
    func failingRead() throws {
        struct Broken: Error, Equatable {}
        let (d, _) = countingFile(0)
        defer { try? FileManager.default.removeItem(atPath: d) }
        do {
            let f = try AtomicFile(destination: d + "/out", overwrite: false)
            #expect(throws: Broken()) {
                try f.append(count: 3 * AtomicFile.copyBufferSize, from: { offset, _ in if offset > 0 { throw Broken() } })
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: d) == ["data"])
    }
}

@Suite("read-ahead helper thread")
struct ReadAheadTests {
    @Test("jobs run one after another, each finished before finish() returns, whichever thread runs it")
    func order() throws {
        let ahead = try #require(ReadAhead())
        final class Log: @unchecked Sendable { var values: [Int] = [] }
        let log = Log()
        for k in 0..<200 {
            ahead.post { log.values.append(k) }
            if k % 3 == 0 { usleep(50) }  // sometimes the helper takes it, sometimes the caller does
            ahead.finish()
            #expect(log.values.count == k + 1)
        }
        #expect(log.values == Array(0..<200))
        ahead.finish()  // nothing posted: returns at once
    }
}
