import Foundation
import Testing
import ViTTensor
@testable import ViTHDF5

@Suite("HDF5 errors")
struct HDF5ErrorTests {
    @Test("a missing file is fileNotFound")
    func missingFile() {
        let path = temporaryPath()
        #expect(throws: HDF5Error.fileNotFound(file: path)) { try HDF5File(path: path) }
    }

    @Test("a file without the HDF5 signature is notHDF5, even with a 512-byte prefix")
    func notHDF5() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        #expect(throws: HDF5Error.notHDF5(file: path)) { try HDF5File(path: path) }
        try Data().write(to: URL(fileURLWithPath: path))
        #expect(throws: HDF5Error.notHDF5(file: path)) { try HDF5File(path: path) }
    }

    @Test("a truncated file is a library error carrying libhdf5's error stack",
          arguments: ["corrupt_truncated.h5", "corrupt_garbled.h5"])
    func corruptFile(name: String) throws {
        let path = fixturePath(name)
        let error = try #require(openingError(path))
        guard case let .library(file, operation, stack) = error else {
            Issue.record("expected a library error, got \(error)")
            return
        }
        #expect(file == path)
        #expect(!operation.isEmpty)
        #expect(!stack.isEmpty)
        #expect(error.description.hasPrefix("\(path): libhdf5 failed \(operation): "))
    }

    @Test("the truncated file's error names the truncation as libhdf5 reports it")
    func truncationMessage() throws {
        let error = try #require(openingError(fixturePath("corrupt_truncated.h5")))
        guard case let .library(_, operation, stack) = error else {
            Issue.record("expected a library error, got \(error)")
            return
        }
        #expect(operation == "opening the file")
        #expect(stack.first?.hasPrefix("H5Fopen()") == true)
        #expect(stack.contains { $0.contains("truncated file") })
    }

    @Test("an unknown tensor name is datasetNotFound, an unknown path too")
    func datasetNotFound() throws {
        let h5 = try HDF5File(path: fixturePath("flat.h5"))
        #expect(throws: HDF5Error.datasetNotFound(file: fixturePath("flat.h5"), name: "blocks.9.attn.qkv.weight")) {
            try h5.tensor(named: "blocks.9.attn.qkv.weight")
        }
        #expect(throws: HDF5Error.datasetNotFound(file: fixturePath("flat.h5"), name: "/nope")) { try h5.tensor(atPath: "nope") }
        #expect(throws: HDF5Error.objectNotFound(file: fixturePath("flat.h5"), path: "/nope")) { try h5.attributes(of: "/nope") }
        #expect(throws: HDF5Error.datasetNotFound(file: fixturePath("flat.h5"), name: "nope")) { try h5.readFloat32(named: "nope") }
    }

    @Test("a string dataset is unsupportedType naming the dataset and the HDF5 class")
    func unsupportedType() throws {
        let path = fixturePath("ints_bools.h5")
        let h5 = try HDF5File(path: path)
        #expect(throws: HDF5Error.unsupportedType(file: path, dataset: "/strings", hdf5Class: "STRING", detail: "2-byte fixed-length strings")) {
            try h5.tensor(named: "strings")
        }
        #expect(throws: HDF5Error.unsupportedType(file: path, dataset: "/vlen_strings", hdf5Class: "STRING", detail: "variable-length strings")) {
            try h5.tensor(named: "vlen_strings")
        }
        #expect(throws: HDF5Error.unsupportedType(file: path, dataset: "/compound", hdf5Class: "COMPOUND", detail: "compound of 2 members")) {
            try h5.tensor(named: "compound")
        }
        #expect(!h5.tensorNames.contains("strings"))
    }

    @Test("an untagged 2-byte opaque dataset says it can't tell the dtype")
    func unknownOpaque() throws {
        let path = fixturePath("bf16_opaque.h5")
        let h5 = try HDF5File(path: path)
        let expected = HDF5Error.unknownOpaque(file: path, dataset: "/untagged_opaque", byteSize: 2, tag: "")
        #expect(throws: expected) { try h5.tensor(named: "untagged_opaque") }
        #expect(expected.description.contains("can't tell the dtype"))
    }

    @Test("two paths flattening to one name is a nameCollision naming both")
    func nameCollision() {
        let path = fixturePath("collision.h5")
        let expected = HDF5Error.nameCollision(file: path, name: "a.b", paths: ["/a/b", "/a.b"])
        #expect(throws: expected) { try HDF5File(path: path) }
        #expect(expected.description.contains("'/a/b' and '/a.b'"))
    }

    @Test("absurd shapes are refused before anything is allocated")
    func hostileShapes() throws {
        let path = fixturePath("hostile_shapes.h5")
        let h5 = try HDF5File(path: path)
        #expect(h5.tensorNames == ["fine", "four_tebibytes"])
        #expect(throws: HDF5Error.tooLarge(file: path, dataset: "/count_overflow", shape: [1 << 40, 1 << 40, 1 << 40], elementSize: 4)) {
            try h5.tensor(named: "count_overflow")
        }
        #expect(throws: HDF5Error.tooLarge(file: path, dataset: "/bytes_overflow", shape: [1 << 62], elementSize: 4)) {
            try h5.tensor(named: "bytes_overflow")
        }
        #expect(throws: HDF5Error.tooLarge(file: path, dataset: "/four_tebibytes", shape: [1 << 20, 1 << 20], elementSize: 4)) {
            try h5.tensor(named: "four_tebibytes")
        }
        #expect(throws: HDF5Error.tooLarge(file: path, dataset: "/four_tebibytes", shape: [1 << 20, 1 << 20], elementSize: 4)) {
            try h5.readFloat32(named: "four_tebibytes")
        }
        #expect(try h5.readFloat32(named: "fine") == [0, 1, 2])
    }

    @Test("a numeric attribute asked for as a string list is unsupportedAttribute")
    func numericStringList() throws {
        let path = fixturePath("flat.h5")
        let h5 = try HDF5File(path: path)
        #expect(throws: HDF5Error.unsupportedAttribute(file: path, object: "/", attribute: "epoch", detail: "holds numbers, not strings")) {
            try h5.stringList("epoch", of: "/")
        }
    }
}

/// The error opening `path` gives, or nil when it opens.
func openingError(_ path: String) -> HDF5Error? {
    do {
        _ = try HDF5File(path: path)
        return nil
    } catch {
        return error
    }
}

/// Captures what is written to file descriptor 2 while `body` runs.
func capturingStandardError(_ body: () throws -> Void) rethrows -> String {
    fflush(nil)
    let capture = temporaryPath(".stderr")
    let fd = open(capture, O_RDWR | O_CREAT | O_TRUNC, 0o600)
    let saved = dup(2)
    dup2(fd, 2)
    defer {
        fflush(nil)
        dup2(saved, 2)
        close(saved)
        close(fd)
        try? FileManager.default.removeItem(atPath: capture)
    }
    try body()
    fflush(nil)
    return (try? String(contentsOfFile: capture, encoding: .utf8)) ?? "<unreadable>"
}

@Suite("libhdf5 prints nothing")
struct HDF5QuietTests {
    @Test("reading corrupt files on a brand-new thread prints nothing to stderr")
    func corruptFileIsQuiet() throws {
        // Written by the thread, read after it has finished.
        final class Box: @unchecked Sendable {
            var errors: [HDF5Error] = []
            var quiet = false
        }
        let box = Box()
        _ = try HDF5File(path: fixturePath("flat.h5"))  // libhdf5 already in use on this thread
        let marker = "vitkit-capture-check\n"
        let printed = capturingStandardError {
            _ = marker.withCString { write(2, $0, strlen($0)) }  // proves the capture works
            // libhdf5's error-printing switch is per thread in a thread-safe build: use a fresh thread.
            let done = DispatchSemaphore(value: 0)
            let thread = Thread {
                for name in ["corrupt_truncated.h5", "corrupt_garbled.h5"] {
                    do { _ = try HDF5File(path: fixturePath(name)) } catch let e as HDF5Error { box.errors.append(e) } catch {}
                }
                if let h5 = try? HDF5File(path: fixturePath("ints_bools.h5")) {
                    do { _ = try h5.tensor(named: "strings") } catch let e as HDF5Error { box.errors.append(e) } catch {}
                }
                box.quiet = HDF5Library.automaticPrintingIsOffOnThisThread()
                done.signal()
            }
            thread.start()
            done.wait()
        }
        #expect(box.errors.count == 3)
        #expect(box.quiet)
        #expect(printed.hasPrefix(marker))
        // The test runner may print its own progress to fd 2 meanwhile (tests run in parallel), so look for
        // what libhdf5 prints: "HDF5-DIAG: Error detected in HDF5 (1.10.8) thread …" then "  #000: …" lines.
        let fromLibrary = printed.split(separator: "\n").filter {
            $0.contains("HDF5-DIAG") || $0.contains("major:") || $0.contains("minor:") || $0.trimmingCharacters(in: .whitespaces).hasPrefix("#0")
        }
        #expect(fromLibrary.isEmpty, "libhdf5 printed: \(fromLibrary)")
    }
}
