import Testing
import ViTTensor
@testable import ViTBin

private let f = "crafted.bin"

private func open(_ c: CraftedBin, verify: Bool = true) -> BinError? {
    binError { _ = try openBin(c.bytes(), verifyChecksum: verify) }
}

private func open(_ bytes: [UInt8], verify: Bool = true) -> BinError? {
    binError { _ = try openBin(bytes, verifyChecksum: verify) }
}

/// Layout of `CraftedBin.valid()` (checked by `validLayout`): header 118 bytes (bytes 24..<142), its
/// checksum at 142..<150, data starts at 192,
/// tensor a at 192 (24 bytes), tensor b at 256 (10 bytes), trailer at 320, file size 336.
@Suite("native .bin: one test per rule, on crafted bytes")
struct BinMalformedTests {
    @Test("the crafted valid file opens and has the documented layout")
    func validLayout() throws {
        let bytes = CraftedBin.valid().bytes()
        #expect(bytes.count == 336)
        let file = try openBin(bytes)
        #expect(try file.tensor(named: "a").offset == 192)
        #expect(try file.tensor(named: "b").offset == 256)
        #expect(file.configJSON == "{\"a\":1}")
    }

    @Test("a file that does not start with the magic is refused")
    func badMagic() {
        var b = CraftedBin.valid().bytes()
        b[1] = UInt8(ascii: "v")
        #expect(open(b) == .badMagic(file: f))
        #expect(open(Array("PK\u{03}\u{04}".utf8)) == .badMagic(file: f))
    }

    @Test("a newer format version is refused with a message saying so")
    func newerVersion() {
        var c = CraftedBin.valid()
        c.version = 2
        let e = open(c)
        #expect(e == .newerVersion(file: f, found: 2, supported: 1))
        #expect(e?.description.contains("written by a newer ViTKit: format version 2, this reader supports up to 1") == true)
        c.version = 0
        #expect(open(c) == .invalidVersion(file: f, found: 0))
    }

    @Test("unknown flag bits are refused")
    func flags() {
        var c = CraftedBin.valid()
        c.flags = 4
        #expect(open(c) == .unknownFlags(file: f, flags: 4))
    }

    @Test("a header length above the limit is refused before anything is read")
    func headerTooLarge() {
        var c = CraftedBin.valid()
        c.headerLengthOverride = 1 << 40
        #expect(open(c) == .headerTooLarge(file: f, length: 1 << 40, limit: BinFormat.maxHeaderLength))
    }

    @Test("a file truncated anywhere is refused: in the preamble, the header, the data or the trailer")
    func truncated() {
        let b = CraftedBin.valid().bytes()
        #expect(open([]) == .truncated(file: f, expectedBytes: 24, foundBytes: 0))
        #expect(open(Array(b[0..<5])) == .truncated(file: f, expectedBytes: 24, foundBytes: 5))
        #expect(open(Array(b[0..<20])) == .truncated(file: f, expectedBytes: 24, foundBytes: 20))
        #expect(open(Array(b[0..<100])) == .truncated(file: f, expectedBytes: 150, foundBytes: 100))
        #expect(open(Array(b[0..<200])) == .tensorOutOfBounds(file: f, tensor: "a", offset: 192, byteLength: 24, fileSize: 200))
        #expect(open(Array(b[0..<270])) == .tensorOutOfBounds(file: f, tensor: "b", offset: 256, byteLength: 10, fileSize: 270))
        #expect(open(Array(b[0..<328])) == .truncated(file: f, expectedBytes: 336, foundBytes: 328))
        #expect(open(Array(b[0..<335])) == .truncated(file: f, expectedBytes: 336, foundBytes: 335))
    }

    @Test("a flipped bit in the header fails the header checksum, even when data checks are skipped")
    func headerBitFlip() {
        var b = CraftedBin.valid().bytes()
        b[60] ^= 0x10
        guard case .headerChecksumMismatch(let file, _, _)? = open(b, verify: false) else {
            Issue.record("expected a header checksum mismatch")
            return
        }
        #expect(file == f)
    }

    @Test("a flipped bit in tensor data fails the file checksum; skipping the check defers it")
    func dataBitFlip() throws {
        var b = CraftedBin.valid().bytes()
        b[200] ^= 0x01
        guard case .checksumMismatch? = open(b) else {
            Issue.record("expected a checksum mismatch")
            return
        }
        let lazy = try openBin(b, verifyChecksum: false)
        #expect(binError { try lazy.verifyChecksum() } != nil)
    }

    @Test("a data offset that is not a multiple of 64 is refused")
    func misaligned() {
        var c = CraftedBin.valid()
        c.tensors[1].offset = 260
        #expect(open(c) == .misalignedOffset(file: f, tensor: "b", offset: 260, alignment: 64))
    }

    @Test("overlapping tensors are refused, naming both")
    func overlapping() {
        var c = CraftedBin.valid()
        c.tensors[1].offset = 192
        #expect(open(c) == .overlappingTensors(file: f, tensor: "b", offset: 192, previous: "a", previousEnd: 216))
    }

    @Test("a tensor placed in the header area is refused")
    func overlapsHeader() {
        var c = CraftedBin.valid()
        c.tensors[0].offset = 128
        #expect(open(c) == .tensorOverlapsHeader(file: f, tensor: "a", offset: 128, dataStart: 192))
    }

    @Test("a gap between tensors is refused")
    func gap() {
        var c = CraftedBin.valid()
        c.tensors[1].offset = 320
        #expect(open(c) == .unexpectedGap(file: f, tensor: "b", expectedOffset: 256, found: 320))
    }

    @Test("a byte length that is not shape × dtype size is refused")
    func sizeMismatch() {
        var c = CraftedBin.valid()
        c.tensors[0].length = 20
        #expect(open(c) == .byteLengthMismatch(file: f, tensor: "a", expected: 24, found: 20))
    }

    @Test("hostile shapes (2^60 elements, overflowing products, dims above Int.max) are refused without allocating")
    func hostileShapes() {
        var c = CraftedBin.valid()
        c.tensors[0].shape = [1 << 30, 1 << 30]
        c.tensors[0].length = 1 << 62
        #expect(open(c) == .tensorOutOfBounds(file: f, tensor: "a", offset: 192, byteLength: 1 << 62, fileSize: 336))
        c.tensors[0].shape = [1 << 40, 1 << 40]
        #expect(open(c) == .shapeOverflow(file: f, tensor: "a", shape: [1 << 40, 1 << 40]))
        c.tensors[0].shape = [UInt64.max]
        #expect(open(c) == .shapeOverflow(file: f, tensor: "a", shape: [UInt64.max]))
        c.tensors[0].shape = [2, 3]
        c.tensors[0].length = 24
        c.tensors[0].offset = UInt64.max & ~63
        #expect(open(c) == .tensorOutOfBounds(file: f, tensor: "a", offset: UInt64.max & ~63, byteLength: 24, fileSize: 336))
        var r = CraftedBin.valid()
        r.tensors[0].rank = 1_000_000
        #expect(open(r) == .rankTooLarge(file: f, tensor: "a", rank: 1_000_000, limit: 64))
    }

    @Test("duplicate tensor names and duplicate metadata keys are refused")
    func duplicates() {
        var c = CraftedBin.valid()
        c.tensors[1].name = "a"
        #expect(open(c) == .duplicateTensorName(file: f, name: "a"))
        var m = CraftedBin.valid()
        m.metadata = [("k", "1"), ("k", "2")]
        #expect(open(m) == .duplicateMetadataKey(file: f, key: "k"))
    }

    @Test("bytes after the trailer are refused")
    func trailing() {
        var b = CraftedBin.valid().bytes()
        b += [0, 0]
        #expect(open(b) == .trailingBytes(file: f, expectedBytes: 336, foundBytes: 338))
    }

    @Test("non-zero padding is refused even with correct checksums")
    func padding() {
        var b = CraftedBin.valid().bytes()
        b[230] = 1
        refreshChecksums(&b)
        #expect(open(b) == .nonZeroPadding(file: f, offset: 230))
        var h = CraftedBin.valid().bytes()
        h[170] = 7  // between the header checksum (ends at 150) and the data start (192)
        refreshChecksums(&h)
        #expect(open(h) == .nonZeroPadding(file: f, offset: 170))
    }

    @Test("a wrong end magic is refused")
    func endMagic() {
        var b = CraftedBin.valid().bytes()
        b[b.count - 1] = 0
        #expect(open(b) == .badEndMagic(file: f))
    }

    @Test("an unknown dtype string is refused, naming the tensor")
    func unknownDType() {
        var c = CraftedBin.valid()
        c.tensors[1].dtype = "float16"
        #expect(open(c) == .unknownDType(file: f, tensor: "b", found: "float16"))
    }

    @Test("structural header errors: a bad config flag, invalid UTF-8, an empty name, leftover or missing bytes")
    func malformed() {
        var c = CraftedBin.valid()
        c.configFlag = 2
        #expect(open(c) == .malformedHeader(file: f, offset: 9, detail: "config flag is 2, expected 0 or 1"))
        var u = CraftedBin.valid()
        u.metadata = [("k", String(decoding: [0x61], as: UTF8.self))]
        var bytes = u.bytes()
        bytes[24 + 4 + 4 + 1 + 4 + 7 + 4 + 1 + 4] = 0xFF  // the value's only byte
        refreshChecksums(&bytes)
        #expect(open(bytes) == .malformedHeader(file: f, offset: 25, detail: "metadata value for 'k' is not valid UTF-8"))
        var e = CraftedBin.valid()
        e.tensors[0].name = ""
        #expect(open(e) == .malformedHeader(file: f, offset: 30, detail: "empty tensor name"))
        var l = CraftedBin.valid()
        l.headerSuffix = [1, 2, 3]
        #expect(open(l) == .malformedHeader(file: f, offset: 118, detail: "3 bytes left after the tensor table"))
        var s = CraftedBin.valid()
        s.tensors[1].rank = 2  // claims a second dimension the header does not have
        guard case .malformedHeader(_, _, let detail)? = open(s) else {
            Issue.record("expected a malformed header")
            return
        }
        #expect(detail.contains("needs 8 bytes"))
    }
}
