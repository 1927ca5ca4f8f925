import Foundation
import Testing
import ViTTensor
import ViTZipTestSupport
@testable import ViTZip
import ViTTestSupport

func open(_ bytes: [UInt8]) throws -> ZipArchive {
    try bytes.withUnsafeBytes { try ZipArchive(storage: ByteStorage(copying: $0), path: "t.zip") }
}

let hello = Array("hello, zip".utf8)
let numbers = (0..<300).map { UInt8($0 % 251) }

@Suite("ZIP archives that are well formed")
struct ZipReadTests {
    @Test("a stored and a deflated member read back with their names, sizes and bytes")
    func readsMembers() throws {
        let (bytes, _) = ZipBuilder.build([.init("a.txt", hello), .init("dir/b.bin", numbers, deflate: true)])
        let zip = try open(bytes)
        #expect(zip.entries.map(\.name) == ["a.txt", "dir/b.bin"])
        let a = try #require(zip.entry(named: "a.txt"))
        #expect(a.method == .stored && a.uncompressedSize == hello.count)
        #expect(try zip.contents(of: a).array == hello)
        let b = try #require(zip.entry(named: "dir/b.bin"))
        #expect(b.method == .deflated && b.uncompressedSize == 300 && b.compressedSize == 305)
        #expect(try zip.contents(of: b).array == numbers)
        #expect(try zip.prefix(of: b, count: 10) == Array(numbers.prefix(10)))
        #expect(try zip.prefix(of: b, count: 1000) == numbers)
    }

    @Test("a stored member of a mapped file is a view into the map, at the data offset")
    func storedIsView() throws {
        let (bytes, layout) = ZipBuilder.build([.init("a.txt", hello)])
        let path = writeTemporary(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let zip = try ZipArchive(path: path)
        let c = try zip.contents(of: zip.entries[0])
        #expect(c.storage.isMapped && c.storage === zip.storage)
        #expect(c.offset == layout.dataOffsets[0])
    }

    @Test("ZIP64 extra fields and a ZIP64 end record are read")
    func zip64() throws {
        let (bytes, _) = ZipBuilder.build([.init("a", hello, zip64: true), .init("b", numbers, deflate: true, zip64: true)],
                                          zip64End: true)
        let zip = try open(bytes)
        #expect(zip.entries.map(\.uncompressedSize) == [hello.count, 300])
        #expect(try zip.contents(of: zip.entries[1]).array == numbers)
    }

    @Test("an archive comment is skipped and an empty archive has no members")
    func commentAndEmpty() throws {
        let (bytes, _) = ZipBuilder.build([.init("a", hello)], comment: Array("a comment".utf8))
        #expect(try open(bytes).entries.count == 1)
        let (empty, _) = ZipBuilder.build([])
        #expect(try open(empty).entries.isEmpty)
        #expect(ZipArchive.hasSignature(empty) && ZipArchive.hasSignature(bytes))
        #expect(!ZipArchive.hasSignature(Array("\u{93}NUMPY".utf8)))
    }

    @Test("a deflated member larger than 65,535 bytes (several deflate blocks) inflates exactly")
    func multiBlock() throws {
        let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let zip = try open(ZipBuilder.build([.init("big", big, deflate: true)]).bytes)
        #expect(try zip.contents(of: zip.entries[0]).array == big)
    }
}

@Suite("malformed ZIP archives are refused with the exact error")
struct ZipMalformedTests {
    @Test("bytes without an end record are not a ZIP archive")
    func notAZip() {
        #expect(throws: ZipError.notAZip(file: "t.zip")) { try open(Array(repeating: 0x41, count: 100)) }
        #expect(throws: ZipError.notAZip(file: "t.zip")) { try open([]) }
        var (bytes, _) = ZipBuilder.build([.init("a", hello)])
        bytes.removeLast()  // the end record no longer reaches the end of the file exactly
        #expect(throws: ZipError.notAZip(file: "t.zip")) { try open(bytes) }
    }

    @Test("a spanned archive is refused")
    func multiDisk() {
        var (bytes, l) = ZipBuilder.build([.init("a", hello)])
        bytes.put(1, at: l.endRecord + 4, width: 2)
        #expect(throws: ZipError.multiDisk(file: "t.zip")) { try open(bytes) }
    }

    @Test("a directory that does not end at the end record is refused with its offset and size")
    func directoryOutOfBounds() {
        var (bytes, l) = ZipBuilder.build([.init("a", hello)])
        bytes.put(l.centralDirectory + 1, at: l.endRecord + 16, width: 4)
        let size = l.endRecord - l.centralDirectory
        #expect(throws: ZipError.directoryOutOfBounds(file: "t.zip", offset: l.centralDirectory + 1, size: size, end: l.endRecord)) {
            try open(bytes)
        }
    }

    @Test("an entry count the directory cannot hold is refused before allocating")
    func impossibleCount() {
        var (bytes, l) = ZipBuilder.build([.init("a", hello)])
        bytes.put(0xFFFE, at: l.endRecord + 8, width: 2)
        bytes.put(0xFFFE, at: l.endRecord + 10, width: 2)
        #expect(throws: ZipError.entryCountMismatch(file: "t.zip", declared: 0xFFFE, found: 1)) { try open(bytes) }
    }

    @Test("fewer entries declared than the directory holds is refused")
    func countTooSmall() {
        var (bytes, l) = ZipBuilder.build([.init("a", hello), .init("b", hello)])
        bytes.put(1, at: l.endRecord + 8, width: 2)
        bytes.put(1, at: l.endRecord + 10, width: 2)
        #expect(throws: ZipError.entryCountMismatch(file: "t.zip", declared: 1, found: 2)) { try open(bytes) }
    }

    @Test("a central header without its signature is refused with its index and offset")
    func badCentralHeader() {
        var (bytes, l) = ZipBuilder.build([.init("a", hello), .init("b", hello)])
        bytes[l.centralHeaders[1]] = 0
        #expect(throws: ZipError.badCentralHeader(file: "t.zip", index: 1, offset: l.centralHeaders[1])) { try open(bytes) }
    }

    @Test("a name that is not UTF-8 or holds NUL is refused")
    func badName() {
        var (bytes, l) = ZipBuilder.build([.init("ab", hello)])
        bytes[l.centralHeaders[0] + 46] = 0xFF
        #expect(throws: ZipError.badName(file: "t.zip", index: 0)) { try open(bytes) }
        bytes[l.centralHeaders[0] + 46] = 0
        #expect(throws: ZipError.badName(file: "t.zip", index: 0)) { try open(bytes) }
    }

    @Test("two members with one name are refused")
    func duplicate() {
        let (bytes, _) = ZipBuilder.build([.init("a", hello), .init("a", numbers)])
        #expect(throws: ZipError.duplicateMember(file: "t.zip", member: "a")) { try open(bytes) }
    }

    @Test("an encrypted member is refused")
    func encrypted() {
        var (bytes, l) = ZipBuilder.build([.init("a", hello)])
        bytes.put(1, at: l.centralHeaders[0] + 8, width: 2)
        #expect(throws: ZipError.encrypted(file: "t.zip", member: "a")) { try open(bytes) }
    }

    @Test("a compression method other than stored or deflate is refused with its number")
    func method() {
        var (bytes, l) = ZipBuilder.build([.init("a", hello)])
        bytes.put(12, at: l.centralHeaders[0] + 10, width: 2)
        #expect(throws: ZipError.unsupportedCompression(file: "t.zip", member: "a", method: 12)) { try open(bytes) }
    }

    @Test("a stored member whose two sizes differ is refused")
    func storedSizes() {
        var (bytes, l) = ZipBuilder.build([.init("a", hello)])
        bytes.put(hello.count + 1, at: l.centralHeaders[0] + 24, width: 4)
        #expect(throws: ZipError.storedSizeMismatch(file: "t.zip", member: "a", compressed: hello.count, uncompressed: hello.count + 1)) {
            try open(bytes)
        }
    }

    @Test("a deflated member claiming 4 GB from 305 bytes is refused at once, before allocating")
    func implausible() {
        var (bytes, l) = ZipBuilder.build([.init("a", numbers, deflate: true)])
        bytes.put(0xFFFF_FFF0, at: l.centralHeaders[0] + 24, width: 4)
        let clock = ContinuousClock()
        let t = clock.measure {
            #expect(throws: ZipError.implausibleSize(file: "t.zip", member: "a", compressed: 305, uncompressed: 0xFFFF_FFF0)) {
                try open(bytes)
            }
        }
        #expect(t < .milliseconds(100))
    }

    @Test("a member whose data runs into the next member's header is refused (overlap)")
    func overlap() {
        var (bytes, l) = ZipBuilder.build([.init("a", hello), .init("b", hello)])
        // Point b's local header offset at a's: the two members now share bytes.
        bytes.put(l.localHeaders[0], at: l.centralHeaders[1] + 42, width: 4)
        #expect(throws: ZipError.memberOutOfBounds(file: "t.zip", member: "a", end: 30 + 1 + hello.count, limit: 0)) {
            try open(bytes)
        }
    }

    @Test("a local header without its signature is refused when the member is read")
    func localSignature() throws {
        var (bytes, l) = ZipBuilder.build([.init("a", hello)])
        bytes[l.localHeaders[0]] = 0
        let zip = try open(bytes)
        #expect(throws: ZipError.badLocalHeader(file: "t.zip", member: "a", detail: "no local header signature at offset 0")) {
            try zip.contents(of: zip.entries[0])
        }
    }

    @Test("a local header naming another method or another name is refused")
    func localMismatch() throws {
        var (bytes, l) = ZipBuilder.build([.init("a", hello)])
        bytes.put(8, at: l.localHeaders[0] + 8, width: 2)
        var zip = try open(bytes)
        #expect(throws: ZipError.badLocalHeader(file: "t.zip", member: "a", detail: "method 8, the directory says 0")) {
            try zip.contents(of: zip.entries[0])
        }
        (bytes, l) = ZipBuilder.build([.init("a", hello)])
        bytes[l.localHeaders[0] + 30] = UInt8(ascii: "z")
        zip = try open(bytes)
        #expect(throws: ZipError.badLocalHeader(file: "t.zip", member: "a", detail: "the local name differs")) {
            try zip.contents(of: zip.entries[0])
        }
    }

    @Test("a local extra field that pushes the data past the member's region is refused")
    func localExtraTooLong() throws {
        var (bytes, l) = ZipBuilder.build([.init("a", hello), .init("b", hello)])
        bytes.put(100, at: l.localHeaders[0] + 28, width: 2)
        let zip = try open(bytes)
        #expect(throws: ZipError.memberOutOfBounds(file: "t.zip", member: "a", end: 31 + 100 + hello.count, limit: l.localHeaders[1])) {
            try zip.contents(of: zip.entries[0])
        }
    }

    @Test("a corrupt deflate stream is refused with zlib's reason")
    func corrupt() throws {
        var (bytes, l) = ZipBuilder.build([.init("a", numbers, deflate: true)])
        bytes[l.dataOffsets[0]] = 0x07  // block type 3: reserved
        let zip = try open(bytes)
        #expect(throws: ZipError.corruptData(file: "t.zip", member: "a", detail: "invalid block type")) {
            try zip.contents(of: zip.entries[0])
        }
    }

    @Test("a stream shorter or longer than declared is refused")
    func wrongLength() throws {
        var (bytes, l) = ZipBuilder.build([.init("a", numbers, deflate: true)])
        bytes.put(301, at: l.centralHeaders[0] + 24, width: 4)
        var zip = try open(bytes)
        #expect(throws: ZipError.corruptData(file: "t.zip", member: "a", detail: "the stream ends after 300 bytes, 301 declared")) {
            try zip.contents(of: zip.entries[0])
        }
        (bytes, l) = ZipBuilder.build([.init("a", numbers, deflate: true)])
        bytes.put(299, at: l.centralHeaders[0] + 24, width: 4)
        zip = try open(bytes)
        #expect(throws: ZipError.corruptData(file: "t.zip", member: "a", detail: "the stream holds more than the 299 bytes declared")) {
            try zip.contents(of: zip.entries[0])
        }
    }

    @Test("a truncated deflate stream is refused, not waited on")
    func truncatedStream() throws {
        var (bytes, l) = ZipBuilder.build([.init("a", numbers, deflate: true), .init("b", hello)])
        bytes.put(100, at: l.centralHeaders[0] + 20, width: 4)  // only 100 of 305 compressed bytes
        let zip = try open(bytes)
        #expect(throws: ZipError.corruptData(file: "t.zip", member: "a", detail: "the stream ends after 95 bytes, 300 declared")) {
            try zip.contents(of: zip.entries[0])
        }
    }

    @Test("inflated bytes with another CRC-32 are refused with both values")
    func checksum() throws {
        var (bytes, l) = ZipBuilder.build([.init("a", numbers, deflate: true)])
        bytes[l.dataOffsets[0] + 10] ^= 0xFF
        var changed = numbers
        changed[5] ^= 0xFF
        let zip = try open(bytes)
        #expect(throws: ZipError.checksumMismatch(file: "t.zip", member: "a", expected: ZipBuilder.crc32(numbers),
                                                   found: ZipBuilder.crc32(changed))) {
            try zip.contents(of: zip.entries[0])
        }
    }

    @Test("a saturated field without its ZIP64 value is refused as a bad extra field")
    func zip64Missing() {
        var (bytes, l) = ZipBuilder.build([.init("a", hello)])
        bytes.put(0xFFFF_FFFF, at: l.centralHeaders[0] + 24, width: 4)
        #expect(throws: ZipError.badExtraField(file: "t.zip", member: "a")) { try open(bytes) }
    }

    @Test("a ZIP64 end record that disagrees with the classic one is refused")
    func zip64Disagrees() {
        var (bytes, l) = ZipBuilder.build([.init("a", hello)], zip64End: true)
        bytes.put(2, at: l.zip64EndRecord! + 24, width: 8)
        bytes.put(2, at: l.zip64EndRecord! + 32, width: 8)
        #expect(throws: ZipError.badZip64EndRecord(file: "t.zip", detail: "the classic end record disagrees with the ZIP64 one")) {
            try open(bytes)
        }
        (bytes, l) = ZipBuilder.build([.init("a", hello)], zip64End: true)
        bytes[l.zip64EndRecord!] = 0
        #expect(throws: ZipError.badZip64EndRecord(file: "t.zip", detail: "no ZIP64 end record signature at offset \(l.zip64EndRecord!)")) {
            try open(bytes)
        }
    }

    @Test("saturated end-record fields without a ZIP64 locator are refused")
    func saturatedWithoutZip64() {
        var (bytes, l) = ZipBuilder.build([.init("a", hello)])
        bytes.put(0xFFFF_FFFF, at: l.endRecord + 16, width: 4)
        #expect(throws: ZipError.badZip64EndRecord(file: "t.zip", detail: "saturated end record fields but no ZIP64 locator")) {
            try open(bytes)
        }
    }

    @Test("a missing file is refused with the system's reason")
    func missing() {
        #expect(throws: ZipError.io(file: "/nonexistent/x.zip", message: "cannot open: No such file or directory")) {
            try ZipArchive(path: "/nonexistent/x.zip")
        }
    }
}

@Suite("ZIP parsing under mutation")
struct ZipFuzzTests {
    @Test("5,000 mutated archives each open and read or throw ZipError; none crashes or hangs")
    func fuzz() {
        let (seed, _) = ZipBuilder.build([.init("a.npy", hello), .init("b/c", numbers, deflate: true, zip64: true),
                                          .init("d", numbers)], zip64End: true)
        var rng = SplitMix64(seed: 0x5EED)
        var opened = 0, refused = 0
        for _ in 0..<5000 {
            let bytes = mutate(seed, rng: &rng)
            do {
                let zip = try open(bytes)
                for e in zip.entries {
                    _ = try zip.contents(of: e)
                    _ = try zip.prefix(of: e, count: 7)
                }
                opened += 1
            } catch is ZipError {
                refused += 1
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
        #expect(opened + refused == 5000)
        #expect(opened > 100 && refused > 100)
    }
}
