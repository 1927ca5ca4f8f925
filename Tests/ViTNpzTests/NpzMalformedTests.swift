import Foundation
import Testing
import ViTNumpy
import ViTTensor
import ViTZip
import ViTZipTestSupport
@testable import ViTNpz
import ViTTestSupport

/// A `.npy` member: a version 1.0 header for `dict`, then `data`.
func npy(_ dict: String, data: [UInt8]) -> [UInt8] {
    var h = Array(dict.utf8)
    while (10 + h.count + 1) % 64 != 0 { h.append(0x20) }
    h.append(0x0A)
    var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(h.count & 0xFF), UInt8(h.count >> 8)]
    out += h
    return out + data
}

func f32(_ values: [Float]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

func openNpz(_ members: [ZipBuilder.Member]) throws -> NpzArchive {
    let path = writeTemporary(ZipBuilder.build(members).bytes, suffix: ".npz")
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try NpzArchive(path: path)
}

func openNpz(bytes: [UInt8]) throws -> (NpzArchive, String) {
    let path = writeTemporary(bytes, suffix: ".npz")
    return (try NpzArchive(path: path), path)
}

@Suite("malformed npz archives are refused with the exact error")
struct NpzMalformedTests {
    let good = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", data: f32([1, 2, 3]))

    @Test("a hand-built archive with a stored and a deflated member reads back")
    func handBuilt() throws {
        let npz = try openNpz([.init("a.npy", good), .init("b/c.npy", good, deflate: true)])
        #expect(npz.tensorNames == ["a", "b/c"])
        #expect(try npz.tensor(named: "b/c").floats() == [1, 2, 3])
    }

    @Test("a file that is not a ZIP archive is refused as not a zip")
    func notZip() {
        let path = writeTemporary(Array(repeating: 7, count: 64), suffix: ".npz")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: NpzError.zip(.notAZip(file: path))) { try NpzArchive(path: path) }
    }

    @Test("a member that is not .npy is refused by name")
    func notNpy() throws {
        let path = writeTemporary(ZipBuilder.build([.init("a.npy", good), .init("notes.txt", [1, 2])]).bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: NpzError.notNpy(file: path, member: "notes.txt")) { try NpzArchive(path: path) }
    }

    @Test("a member whose npy header is malformed is refused with the npy error naming the member")
    func badHeader() throws {
        let path = writeTemporary(ZipBuilder.build([.init("a.npy", Array("hello".utf8))]).bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: NpzError.badNpyHeader(file: path, member: "a.npy", error: .badMagic(file: "a.npy"))) {
            try NpzArchive(path: path)
        }
        let object = npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0, 0, 0, 0, 0])
        let path2 = writeTemporary(ZipBuilder.build([.init("o.npy", object, deflate: true)]).bytes)
        defer { try? FileManager.default.removeItem(atPath: path2) }
        #expect(throws: NpzError.badNpyHeader(file: path2, member: "o.npy", error: .unsupportedDType(file: "o.npy", descr: "|O"))) {
            try NpzArchive(path: path2)
        }
    }

    @Test("a member holding fewer or more bytes than its header declares is refused with both sizes")
    func sizeMismatch() throws {
        let short = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", data: f32([1, 2, 3]))
        let path = writeTemporary(ZipBuilder.build([.init("a.npy", short)]).bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: NpzError.sizeMismatch(file: path, member: "a.npy", expected: short.count + 4, found: short.count)) {
            try NpzArchive(path: path)
        }
        let long = good + [0]
        let path2 = writeTemporary(ZipBuilder.build([.init("a.npy", long, deflate: true)]).bytes)
        defer { try? FileManager.default.removeItem(atPath: path2) }
        #expect(throws: NpzError.sizeMismatch(file: path2, member: "a.npy", expected: good.count, found: good.count + 1)) {
            try NpzArchive(path: path2)
        }
    }

    @Test("a header claiming a petabyte is refused at once, without allocating")
    func hugeClaim() throws {
        let huge = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (250000000000000,), }", data: f32([1]))
        let path = writeTemporary(ZipBuilder.build([.init("a.npy", huge, deflate: true)]).bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let t = ContinuousClock().measure {
            #expect(throws: NpzError.sizeMismatch(file: path, member: "a.npy", expected: huge.count - 4 + 1_000_000_000_000_000, found: huge.count)) {
                try NpzArchive(path: path)
            }
        }
        #expect(t < .milliseconds(100))
        let overflow = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", data: [])
        let path2 = writeTemporary(ZipBuilder.build([.init("a.npy", overflow)]).bytes)
        defer { try? FileManager.default.removeItem(atPath: path2) }
        #expect(throws: NpzError.badNpyHeader(file: path2, member: "a.npy",
                                              error: .invalidShape(file: "a.npy", shape: [4_611_686_018_427_387_904, 4]))) {
            try NpzArchive(path: path2)
        }
    }

    @Test("a deflated member whose header is longer than the first read is read in full")
    func longHeader() throws {
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"
        dict += String(repeating: " ", count: 6000)
        var h = Array(dict.utf8)
        h.append(0x0A)
        var member: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0]
        member.le32(h.count)
        member += h + f32([4, 5, 6])
        let npz = try openNpz([.init("a.npy", member, deflate: true)])
        #expect(try npz.tensor(named: "a").floats() == [4, 5, 6])
        #expect(npz.header(named: "a")?.version.major == 2)
    }

    @Test("duplicate member names are refused by the ZIP layer")
    func duplicates() throws {
        let path = writeTemporary(ZipBuilder.build([.init("a.npy", good), .init("a.npy", good)]).bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: NpzError.zip(.duplicateMember(file: path, member: "a.npy"))) { try NpzArchive(path: path) }
    }

    @Test("asking for a tensor that is not there names it")
    func noSuchTensor() throws {
        let path = sourcesFixture("npz/stored.npz")
        #expect(throws: NpzError.noSuchTensor(file: path, name: "f32.npy")) { try NpzArchive(path: path).tensor(named: "f32.npy") }
    }

    @Test("a corrupt deflated member is opened (header intact) but refused when read, with the CRC mismatch")
    func corruptData() throws {
        var (bytes, layout) = ZipBuilder.build([.init("a.npy", good, deflate: true)])
        let at = good.count - 2  // a data byte, past the header
        bytes[layout.dataOffsets[0] + 5 + at] ^= 0x01
        let (npz, path) = try openNpz(bytes: bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var changed = good
        changed[at] ^= 0x01
        #expect(throws: NpzError.zip(.checksumMismatch(file: path, member: "a.npy", expected: ZipBuilder.crc32(good),
                                                        found: ZipBuilder.crc32(changed)))) {
            try npz.tensor(named: "a")
        }
    }

    @Test("2,000 mutated numpy archives each read or throw NpzError; none crashes")
    func fuzz() throws {
        let seeds = [try Array(Data(contentsOf: URL(fileURLWithPath: sourcesFixture("npz/stored.npz")))),
                     try Array(Data(contentsOf: URL(fileURLWithPath: sourcesFixture("npz/deflated.npz"))))]
        var rng = SplitMix64(seed: 0xA11CE)
        var read = 0, refused = 0
        for i in 0..<2000 {
            let bytes = mutate(seeds[i % 2], rng: &rng)
            let archive: ZipArchive
            do {
                archive = try bytes.withUnsafeBytes { try ZipArchive(storage: ByteStorage(copying: $0), path: "m.npz") }
                let npz = try NpzArchive(archive: archive)
                for name in npz.tensorNames { _ = try npz.tensor(named: name) }
                read += 1
            } catch is NpzError {
                refused += 1
            } catch is ZipError {
                refused += 1
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
        #expect(read + refused == 2000 && refused > 0)
    }
}
