import Foundation
import ViTTensor
@testable import ViTSafetensors
import ViTTestSupport

/// Repository root, found from this file's path.
let repoRoot = Fixtures.repository
let safetensorsFixtures = repoRoot.appendingPathComponent("fixtures/safetensors")

/// The path error messages name in byte-level tests.
let testPath = "t.safetensors"

/// A safetensors file: the 8-byte little-endian length `n` (default: the header's length), the header, the data.
func stBytes(_ header: String, data: [UInt8] = [], n: UInt64? = nil) -> [UInt8] {
    stBytes(Array(header.utf8), data: data, n: n)
}

func stBytes(_ header: [UInt8], data: [UInt8] = [], n: UInt64? = nil) -> [UInt8] {
    let len = n ?? UInt64(header.count)
    return withUnsafeBytes(of: len.littleEndian) { Array($0) } + header + data
}

/// Parses `bytes` as a whole file.
func parse(_ bytes: [UInt8], path: String = testPath) throws -> SafetensorsHeader {
    try bytes.withUnsafeBytes { try SafetensorsHeader.parse(bytes: $0, fileSize: $0.count, path: path) }
}

/// The error `parse` throws, or nil when it succeeds.
func parseError(_ bytes: [UInt8]) -> SafetensorsError? {
    do { _ = try parse(bytes); return nil } catch let e as SafetensorsError { return e } catch { return nil }
}

/// One tensor entry's JSON.
func entry(_ dtype: String, _ shape: [Int], _ begin: Int, _ end: Int) -> String {
    "{\"dtype\":\"\(dtype)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(end)]}"
}

/// A fresh path in the temporary folder.
func temporaryPath(_ suffix: String = ".safetensors") -> String {
    NSTemporaryDirectory() + "vitkit-st-\(UUID().uuidString)\(suffix)"
}

/// Writes `bytes` to a fresh temporary file and returns its path.
func writeTemporary(_ bytes: [UInt8], suffix: String = ".safetensors") throws -> String {
    let p = temporaryPath(suffix)
    try Data(bytes).write(to: URL(fileURLWithPath: p))
    return p
}

/// Lower-case hex of `bytes`.
func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    var s = ""
    s.reserveCapacity(bytes.count * 2)
    for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
    return s
}

/// Bytes from lower-case or upper-case hex.
func unhex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.utf8.makeIterator()
    func nibble(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10 }
    while let a = it.next(), let b = it.next() { out.append(nibble(a) << 4 | nibble(b)) }
    return out
}
