import Foundation
import Testing
import ViTBin
import ViTTestSupport

/// Little-endian bytes of `v`.
func le64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
/// Little-endian bytes of `v`.
func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

/// Writes `bytes` to `path` (replacing it).
func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Writes `prefix` then `count` copies of `byte` to `path`, in chunks (no `count`-sized buffer).
func writeFile(_ path: String, _ prefix: [UInt8], thenRepeating byte: UInt8, count: Int) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(prefix)),
          let h = FileHandle(forWritingAtPath: path) else { throw SpawnFailure(description: "\(path): cannot create") }
    defer { try? h.close() }
    try h.seekToEnd()
    let chunk = Data(repeating: byte, count: 1 << 20)
    var left = count
    while left > 0 {
        let n = min(left, chunk.count)
        try h.write(contentsOf: chunk.prefix(n))
        left -= n
    }
}

/// The bytes of the file at `path`.
func readFile(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// A safetensors file: the 8-byte length, the header text, then `data`.
func safetensorsBytes(header: String, data: [UInt8] = []) -> [UInt8] {
    le64(UInt64(header.utf8.count)) + Array(header.utf8) + data
}

/// Creates a file of `size` bytes whose first bytes are `prefix` and whose rest is a hole (reads as
/// zeros, takes no disk).
func writeSparseFile(_ path: String, prefix: [UInt8], size: Int) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw SpawnFailure(description: "\(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    let n = prefix.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard n == prefix.count, ftruncate(fd, off_t(size)) == 0 else {
        throw SpawnFailure(description: "\(path): \(String(cString: strerror(errno)))")
    }
}

/// XXH64 of the file at `path` (streamed), or nil when it cannot be read.
func fileHash(_ path: String) -> UInt64? {
    guard let h = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? h.close() }
    var hasher = XXHash64()
    while let chunk = try? h.read(upToCount: 1 << 22), !chunk.isEmpty {
        chunk.withUnsafeBytes { hasher.update($0) }
    }
    return hasher.finalize()
}

/// CPU seconds the calling thread spends in `body` (user + system), and its result. CPU time, not wall time:
/// on a machine shared with other jobs the wall clock measures the load, not the work. A body that blocks
/// instead of working is caught by the wall-clock bound (30 s, far beyond any limit here).
func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    func threadCPU() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
    let wall = DispatchTime.now()
    let start = threadCPU()
    let r = try body()
    let cpu = threadCPU() - start
    let wallSeconds = Double(DispatchTime.now().uptimeNanoseconds - wall.uptimeNanoseconds) / 1e9
    #expect(wallSeconds < 30, "the body blocked for \(wallSeconds) s of wall time (\(cpu) s of CPU)")
    return (r, cpu)
}

/// The error `body` throws (nil when it returns).
func thrownError(_ body: () throws -> Void) -> (any Error)? {
    do { try body() } catch { return error }
    return nil
}
