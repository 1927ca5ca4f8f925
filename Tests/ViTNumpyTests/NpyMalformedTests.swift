import Foundation
import Testing
import ViTTensor
@testable import ViTNumpy

func header(_ dict: String, version: UInt8 = 1) -> [UInt8] {
    var h = Array(dict.utf8)
    var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0]
    if version == 1 { out += [UInt8(h.count & 0xFF), UInt8(h.count >> 8)] } else {
        out += [UInt8(h.count & 0xFF), UInt8((h.count >> 8) & 0xFF), UInt8((h.count >> 16) & 0xFF), UInt8(h.count >> 24)]
    }
    out += h
    h.removeAll()
    return out
}

func parse(_ bytes: [UInt8]) throws -> NpyHeader {
    try bytes.withUnsafeBytes { try NpyHeader.parse($0, file: "x.npy") }
}

func writeTemp(_ bytes: [UInt8]) -> String {
    let path = NSTemporaryDirectory() + "vitkit-npy-\(UUID().uuidString).npy"
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
}

@Suite("malformed npy input is refused with the exact error")
struct NpyMalformedTests {
    @Test("a file without the magic is refused as not npy")
    func badMagic() {
        #expect(throws: NpyError.badMagic(file: "x.npy")) { try parse(Array("PK\u{3}\u{4}xxxxxxxx".utf8)) }
    }

    @Test("format version 4.0 is refused with its number")
    func badVersion() {
        #expect(throws: NpyError.unsupportedVersion(file: "x.npy", major: 4, minor: 0)) {
            try parse([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 4, 0, 0, 0])
        }
    }

    @Test("a header cut short is reported as truncated")
    func truncatedHeader() {
        let h = header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n")
        #expect(throws: NpyError.truncated(file: "x.npy", expectedBytes: h.count, foundBytes: 20)) { try parse(Array(h.prefix(20))) }
    }

    @Test("a version 2 header length over the limit is refused before reading it")
    func hugeHeader() {
        let bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0, 0xFF, 0xFF, 0xFF, 0x7F]
        #expect(throws: NpyError.headerTooLarge(file: "x.npy", length: 0x7FFF_FFFF, limit: NpyHeader.maxHeaderLength)) { try parse(bytes) }
    }

    @Test("a missing shape key is a malformed header")
    func missingShape() {
        #expect(throws: NpyError.malformedHeader(file: "x.npy", detail: "missing key 'shape'")) {
            try parse(header("{'descr': '<f4', 'fortran_order': False, }\n"))
        }
    }

    @Test("an unknown key is a malformed header")
    func unknownKey() {
        #expect(throws: NpyError.malformedHeader(file: "x.npy", detail: "unexpected key 'evil'")) {
            try parse(header("{'descr': '<f4', 'evil': False, 'shape': (2,), }\n"))
        }
    }

    @Test("object and complex dtypes are refused by name", arguments: ["|O", "<c8", "<U3", "<f16"])
    func unsupportedDType(descr: String) {
        #expect(throws: NpyError.unsupportedDType(file: "x.npy", descr: descr)) {
            try parse(header("{'descr': '\(descr)', 'fortran_order': False, 'shape': (2,), }\n"))
        }
    }

    @Test("a shape whose byte size overflows is refused without allocating")
    func hostileShape() {
        #expect(throws: NpyError.invalidShape(file: "x.npy", shape: [1 << 40, 1 << 40])) {
            try parse(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }\n"))
        }
    }

    @Test("a negative dimension is refused")
    func negativeDim() {
        #expect(throws: NpyError.malformedHeader(file: "x.npy", detail: "expected a non-negative integer dimension at offset 51")) {
            try parse(header("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }\n"))
        }
    }

    @Test("a huge claimed shape with little data is reported as truncated, not allocated")
    func hugeShapeShortFile() throws {
        let path = writeTemp(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,), }\n") + [0, 0, 0, 0])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let headerLen = 10 + 67
        #expect(throws: NpyError.truncated(file: path, expectedBytes: headerLen + 4_000_000_000, foundBytes: headerLen + 4)) {
            try NpyFile(path: path)
        }
    }

    @Test("bytes after the array data are refused")
    func trailing() throws {
        let path = writeTemp(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n") + [0, 0, 0, 0, 9])
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: NpyError.trailingBytes(file: path, expectedBytes: 4, foundBytes: 5)) { try NpyFile(path: path) }
    }

    @Test("a missing file names the file and the OS reason")
    func missingFile() {
        #expect(throws: NpyError.io(file: "/nonexistent/x.npy", message: "cannot open: No such file or directory")) {
            try NpyFile(path: "/nonexistent/x.npy")
        }
    }

    @Test("random mutations of a valid header never crash the parser")
    func mutationFuzz() {
        let valid = header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n")
        var rng = SplitMix(seed: 42)
        var refused = 0
        for _ in 0..<20_000 {
            var b = valid
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let k = Int(rng.next() % UInt64(b.count))
                b[k] = UInt8(truncatingIfNeeded: rng.next())
            }
            if Int(rng.next() % 5) == 0 { b = Array(b.prefix(Int(rng.next() % UInt64(b.count)))) }
            do { _ = try parse(b) } catch is NpyError { refused += 1 } catch { Issue.record("unexpected error \(error)") }
        }
        #expect(refused > 10_000)
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
