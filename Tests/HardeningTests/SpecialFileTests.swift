import Dispatch
import Foundation
import Testing
import ViTBin
import ViTFormats
import ViTHDF5
import ViTNpz
import ViTNumpy
import ViTSafetensors
import ViTTensor
import ViTTorch

/// A FIFO (or a device) where a checkpoint is expected must be refused at once, naming the path:
/// opening a FIFO for reading would otherwise wait forever for a writer.
@Suite("special files: a FIFO or a device as a checkpoint is refused at once")
struct SpecialFileTests {
    /// Runs `open` on a background thread; if it has not returned after `seconds`, releases it by
    /// opening the FIFO for writing, and reports a hang.
    static func refusedWithoutBlocking(_ what: String, fifo: String, seconds: Double = 5,
                                       _ open: @escaping @Sendable () throws -> Void) -> (any Error)? {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (any Error)?
        DispatchQueue.global().async {
            do { try open() } catch { result = error }
            done.signal()
        }
        if done.wait(timeout: .now() + seconds) == .timedOut {
            Issue.record("\(what) blocked on the FIFO for \(seconds) s")
            let w = Glibc.open(fifo, O_WRONLY | O_NONBLOCK)
            if w >= 0 { Glibc.close(w) }
            _ = done.wait(timeout: .now() + 5)
            return nil
        }
        return result
    }

    @Test("every reader refuses a FIFO without waiting for a writer, naming it")
    func fifo() throws {
        let folder = makeTempFolder("fifo")
        defer { removeFolder(folder) }
        let fifo = folder + "/model.safetensors"
        try #require(mkfifo(fifo, 0o644) == 0)
        // (name, what the message must name, open)
        let openers: [(String, String, @Sendable () throws -> Void)] = [
            ("CheckpointOpener.open", fifo, { _ = try CheckpointOpener.open(fifo) }),
            ("FormatDetection.detect", fifo, { _ = try FormatDetection.detect(path: fifo) }),
            ("SafetensorsFile", fifo, { _ = try SafetensorsFile(path: fifo) }),
            ("SafetensorsCheckpoint (a folder holding it)", folder, { _ = try SafetensorsCheckpoint(path: folder) }),
            ("BinFile", fifo, { _ = try BinFile(path: fifo) }),
            ("NpyFile", fifo, { _ = try NpyFile(path: fifo) }),
            ("NpzArchive", fifo, { _ = try NpzArchive(path: fifo) }),
            ("TorchCheckpoint", fifo, { _ = try TorchCheckpoint(path: fifo) }),
            ("HDF5File", fifo, { _ = try HDF5File(path: fifo) }),
        ]
        for (name, named, open) in openers {
            let error = Self.refusedWithoutBlocking(name, fifo: fifo, open)
            #expect(error.map { "\($0)".contains(named) } == true, "\(name): \(String(describing: error))")
        }
    }

    @Test("a character device is refused as not a regular file")
    func device() throws {
        for path in ["/dev/zero", "/dev/null"] {
            let error = thrownError { _ = try CheckpointOpener.open(path) }
            #expect(error as? FormatError == .unreadable(path: path, message: "not a regular file"))
        }
    }
}
