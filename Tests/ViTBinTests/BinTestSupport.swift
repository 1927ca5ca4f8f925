import Foundation
import ViTTensor
@testable import ViTBin
import ViTTestSupport

/// fixtures/bin, found from this file's path.
let binFixtures = Fixtures.url("bin")

/// A fresh path in the temporary folder.
func temporaryBinPath(_ tag: String = "t") -> String {
    NSTemporaryDirectory() + "vitkit-bin-\(tag)-\(UUID().uuidString).bin"
}

/// Opens `.bin` bytes held in memory.
func openBin(_ bytes: [UInt8], verifyChecksum: Bool = true) throws -> BinFile {
    let storage = bytes.withUnsafeBytes { ByteStorage(copying: $0) }
    return try BinFile(storage: storage, path: "crafted.bin", verifyChecksum: verifyChecksum)
}

/// The BinError `body` throws (nil when it throws nothing or something else).
func binError(_ body: () throws -> Void) -> BinError? {
    do { try body() } catch let e as BinError { return e } catch { return nil }
    return nil
}

func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
func le64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

/// One tensor of a hand-crafted file. `offset`/`length`/`rank` override what the header declares;
/// the data itself is always placed at the layout's next aligned offset.
struct CraftTensor {
    var name: String
    var dtype: String = "F32"
    var shape: [UInt64]
    var data: [UInt8]
    var offset: UInt64? = nil
    var length: UInt64? = nil
    var rank: UInt32? = nil
}

/// An independent encoder of docs/bin-format.md for tests, with knobs to break each rule.
struct CraftedBin {
    var version: UInt32 = 1
    var flags: UInt32 = 0
    var config: String? = "{\"a\":1}"
    var configFlag: UInt8? = nil
    var metadata: [(String, String)] = [("k", "v")]
    var tensors: [CraftTensor] = []
    var headerLengthOverride: UInt64? = nil
    var headerSuffix: [UInt8] = []
    var fixHeaderChecksum = true
    var fixFileChecksum = true

    func string(_ s: String) -> [UInt8] { le32(UInt32(s.utf8.count)) + Array(s.utf8) }

    func bytes() -> [UInt8] {
        func align(_ n: Int) -> Int { (n + 63) / 64 * 64 }
        func header(_ offsets: [UInt64]) -> [UInt8] {
            var h = le32(UInt32(tensors.count)) + le32(UInt32(metadata.count))
            h.append(configFlag ?? (config == nil ? 0 : 1))
            if let config { h += string(config) }
            for (k, v) in metadata { h += string(k) + string(v) }
            for (t, off) in zip(tensors, offsets) {
                h += string(t.name) + string(t.dtype) + le32(t.rank ?? UInt32(t.shape.count))
                for d in t.shape { h += le64(d) }
                h += le64(t.offset ?? off) + le64(t.length ?? UInt64(t.data.count))
            }
            return h + headerSuffix
        }
        let hlen = header([UInt64](repeating: 0, count: tensors.count)).count
        var offsets: [UInt64] = []
        var pos = align(24 + hlen + 8)
        for t in tensors { offsets.append(UInt64(pos)); pos = align(pos + t.data.count) }
        var out = BinFormat.magic + le32(version) + le32(flags) + le64(headerLengthOverride ?? UInt64(hlen)) + header(offsets)
        out += le64(fixHeaderChecksum ? XXHash64.hash(out) : 0)
        out += [UInt8](repeating: 0, count: align(out.count) - out.count)
        for t in tensors {
            out += t.data
            out += [UInt8](repeating: 0, count: align(out.count) - out.count)
        }
        out += le64(fixFileChecksum ? XXHash64.hash(out) : 0) + BinFormat.endMagic
        return out
    }

    /// A valid two-tensor file.
    static func valid() -> CraftedBin {
        var c = CraftedBin()
        c.tensors = [CraftTensor(name: "a", shape: [2, 3], data: (0..<24).map { UInt8($0) }),
                     CraftTensor(name: "b", dtype: "F16", shape: [5], data: (0..<10).map { UInt8(100 + $0) })]
        return c
    }
}

/// Recomputes both checksums of `bytes` in place where the layout still allows it.
func refreshChecksums(_ bytes: inout [UInt8]) {
    guard bytes.count >= 24 else { return }
    let hlen = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self)) }
    if hlen <= UInt64(bytes.count), 24 + Int(hlen) + 8 <= bytes.count {
        let end = 24 + Int(hlen)
        let h = bytes.withUnsafeBytes { XXHash64.hash(UnsafeRawBufferPointer(rebasing: $0[0..<end])) }
        bytes.replaceSubrange(end..<(end + 8), with: le64(h))
    }
    if bytes.count >= 16 {
        let t = bytes.count - 16
        let h = bytes.withUnsafeBytes { XXHash64.hash(UnsafeRawBufferPointer(rebasing: $0[0..<t])) }
        bytes.replaceSubrange(t..<(t + 8), with: le64(h))
    }
}
