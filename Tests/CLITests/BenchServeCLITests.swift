import Foundation
import Testing

/// `vit-bench forward --serve`, the protocol tools/bench_paired.py drives: `ready` after one warm-up, then one
/// line of N times (ms) per input line N, and a clean exit at a line that is not a positive number.
@Suite("vit-bench forward --serve")
struct BenchServeCLITests {
    @Test("answers each request with that many positive times and exits 0 at a non-number")
    func serveProtocol() throws {
        let p = Process()
        p.executableURL = productsFolder.appendingPathComponent("vit-bench")
        p.arguments = ["forward", "tiny", "--threads", "1", "--serve"]
        let input = Pipe(), out = Pipe()
        p.standardInput = input
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        input.fileHandleForWriting.write(Data("2\n1\nend\n3\n".utf8))  // the 3 after `end` is never served
        try input.fileHandleForWriting.close()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let lines = text.split(separator: "\n").map(String.init)
        try #require(lines.count == 3, "expected ready and two lines of times, got \(lines)")
        #expect(lines[0] == "ready")
        let first = lines[1].split(separator: " ").compactMap { Double($0) }
        let second = lines[2].split(separator: " ").compactMap { Double($0) }
        #expect(first.count == 2 && second.count == 1)
        #expect((first + second).allSatisfy { $0 > 0 && $0 < 60_000 })
    }
}
