import Foundation
import Testing
import ViTTensor
@testable import ViTHDF5

/// A stand-in reader: a shell script that misbehaves as a crashed, hung or lying reader would.
private func fakeReader(_ body: String) throws -> String {
    let path = temporaryPath(".sh")
    try "#!/bin/sh\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o755)
    return path
}

/// True when `pid` no longer exists, not even as a zombie.
private func isGone(_ pid: pid_t) -> Bool {
    kill(pid, 0) != 0 && errno == ESRCH
}

@Suite("HDF5 isolation: libhdf5 runs in a sandboxed reader process")
struct HDF5IsolationTests {
    @Test("a reader killed by a signal is readerCrashed naming the file and the signal; it is reaped")
    func crash() throws {
        let reader = try fakeReader("kill -SEGV $$")
        defer { try? FileManager.default.removeItem(atPath: reader) }
        let path = fixturePath("flat.h5")
        let error = try #require(openingError(path, reader: reader))
        #expect(error == .readerCrashed(file: path, operation: "opening the file", signal: SIGSEGV))
        #expect(error.description.hasPrefix("\(path): libhdf5 crashed with SIGSEGV (signal 11) while opening the file"))
        #expect(error.description.contains("malformed"))
    }

    @Test("a reader that makes no progress is stopped by the watchdog: readerStalled, reaped")
    func stall() throws {
        let reader = try fakeReader("exec sleep 30")
        defer { try? FileManager.default.removeItem(atPath: reader) }
        let path = fixturePath("flat.h5")
        let start = monotonicSeconds()
        let error = try #require(openingError(path, reader: reader, watchdog: 1))
        #expect(error == .readerStalled(file: path, operation: "opening the file", seconds: 1))
        #expect(monotonicSeconds() - start < 10)
    }

    @Test("a reader that sends garbage, or exits early, is refused with readerFailed naming the file",
          arguments: ["printf 'garbage that is not the protocol at all' >&3", "printf '\\001\\000\\000\\000\\377\\377\\377\\177' >&3; sleep 1",
                      "exit 7", "printf '\\001\\000\\000\\000\\004\\000\\000\\000\\001\\000\\000\\000\\007\\000\\000\\000\\000\\000\\000\\000' >&3"])
    func garbage(script: String) throws {
        let reader = try fakeReader(script)
        defer { try? FileManager.default.removeItem(atPath: reader) }
        let path = fixturePath("flat.h5")
        let error = try #require(openingError(path, reader: reader, watchdog: 5))
        guard case let .readerFailed(file, _, _) = error else {
            Issue.record("expected readerFailed, got \(error)")
            return
        }
        #expect(file == path)
    }

    @Test("a missing reader executable is a clear error saying how to build it")
    func missingReader() throws {
        let path = fixturePath("flat.h5")
        let error = try #require(openingError(path, reader: "/nonexistent/vit-hdf5-reader"))
        guard case let .readerUnavailable(file, _) = error else {
            Issue.record("expected readerUnavailable, got \(error)")
            return
        }
        #expect(file == path)
        let located = HDF5Isolation.helperPath()
        #expect(located.path != nil, "\(located.problem)")
    }

    @Test("the reader process is reaped when the file is released: no zombie")
    func reaped() throws {
        var pid: pid_t = 0
        do {
            let h5 = try HDF5File(path: fixturePath("chunked_gzip.h5"))
            pid = try #require(h5.readerProcessID)
            for name in h5.tensorNames { _ = try h5.tensor(named: name) }
            #expect(!isGone(pid))
        }
        #expect(isGone(pid))
    }

    /// PR_SET_PDEATHSIG would have killed the reader when the thread that opened the file ended.
    @Test("a file opened on a thread that has ended still reads: the reader follows the process, not the thread")
    func openerThreadEnds() throws {
        final class Box: @unchecked Sendable { var file: HDF5File? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.file = try? HDF5File(path: fixturePath("chunked_gzip.h5"))
            done.signal()
        }
        thread.start()
        done.wait()
        usleep(1_500_000)  // the thread has exited; the reader's parent watcher has looked at least once
        let h5 = try #require(box.file)
        for name in h5.tensorNames { _ = try h5.tensor(named: name) }
        #expect(try h5.attributes(of: "/").count >= 0)
    }

    @Test("the sandbox: no exec, fork, socket or ptrace (killed); no file created or opened for writing, no signal to other processes, no open at all once the file is open (refused)",
          arguments: ["exec", "fork", "socket", "ptrace", "create", "write", "kill", "open"])
    func sandbox(action: String) throws {
        let helper = try #require(HDF5Isolation.helperPath().path)
        let target = action == "create" ? temporaryPath() : fixturePath("flat.h5")
        defer { if action == "create" { try? FileManager.default.removeItem(atPath: target) } }
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(helper), strdup("--sandbox-check"), strdup(action), strdup(target), nil]
        defer { argv.forEach { free($0) } }
        #expect(posix_spawn(&pid, helper, nil, nil, argv, environ) == 0)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7F, code = (status >> 8) & 0xFF
        if ["exec", "fork", "socket", "ptrace"].contains(action) {
            #expect(signal == SIGSYS, "\(action): status \(status)")
        } else {
            #expect(signal == 0 && code == 0, "\(action): signal \(signal), exit \(code)")
        }
        if action == "create" { #expect(!FileManager.default.fileExists(atPath: target)) }
    }

    @Test("datasets read directly and through shared memory are the same bytes as in-process reading",
          arguments: ["flat.h5", "chunked_gzip.h5", "big_endian.h5", "f16.h5", "bf16_opaque.h5", "ints_bools.h5", "userblock.h5"])
    func sameAsInProcess(file: String) throws {
        let path = fixturePath(file)
        let isolated = try HDF5File(path: path)
        let inProcess = try HDF5File(path: path, reader: ReaderOptions(inProcess: true))
        #expect(isolated.datasets == inProcess.datasets)
        #expect(isolated.unreadableDatasets == inProcess.unreadableDatasets)
        #expect(isolated.groups == inProcess.groups)
        #expect(isolated.links == inProcess.links)
        #expect(isolated.metadata == inProcess.metadata)
        for name in isolated.tensorNames {
            #expect(try isolated.tensor(named: name) == inProcess.tensor(named: name), "\(name)")
        }
    }

    @Test("stored bytes are offered for datasets read directly (the tensor's bytes, in pieces), never for decoded, BOOL or in-process ones",
          arguments: ["flat.h5", "chunked_gzip.h5", "big_endian.h5", "f16.h5", "ints_bools.h5", "userblock.h5"])
    func storedBytes(file: String) throws {
        let path = fixturePath(file)
        let isolated = try HDF5File(path: path)
        let inProcess = try HDF5File(path: path, reader: ReaderOptions(inProcess: true))
        var offered = 0
        for info in isolated.tensorInfos {
            #expect(try inProcess.storedBytes(named: info.name) == nil)
            guard let s = try isolated.storedBytes(named: info.name) else { continue }
            offered += 1
            #expect(info.dtype != .bool)
            #expect(s.info == info)
            var bytes = [UInt8](repeating: 0, count: s.count)
            let half = s.count / 2
            try bytes.withUnsafeMutableBytes { b in
                try s.read(at: 0, into: UnsafeMutableRawBufferPointer(rebasing: b[0..<half]))
                try s.read(at: half, into: UnsafeMutableRawBufferPointer(rebasing: b[half...]))
            }
            #expect(bytes == (try isolated.tensor(named: info.name)).bytes, "\(file) \(info.name)")
        }
        if file == "flat.h5" || file == "userblock.h5" { #expect(offered == isolated.tensorInfos.count) }
        if file == "big_endian.h5" { #expect(offered == 0) }  // libhdf5 converts every element
        if file == "chunked_gzip.h5" { #expect(offered < isolated.tensorInfos.count) }  // the chunked ones are decoded
        #expect(throws: HDF5Error.datasetNotFound(file: path, name: "no.such")) { try isolated.storedBytes(named: "no.such") }
    }

    @Test("the committed fuzz seeds of the reader's stream parse; damaged copies are refused naming the file")
    func streamSeeds() throws {
        let folder = repoRoot.appendingPathComponent("tools/fuzz-corpus/hdf5-stream/seeds").path
        let seeds = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(!seeds.isEmpty)
        var rng = SplitMix64(seed: 17)
        for seed in seeds {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/" + seed)))
            #expect(try parseCatalogueStream(bytes, file: "x.h5") > 0, "\(seed)")
            for _ in 0..<200 {
                var damaged = bytes
                Mutation.damage(&damaged, rng: &rng, window: damaged.count)
                do { _ = try parseCatalogueStream(damaged, file: "x.h5") } catch {
                    #expect(error.description.hasPrefix("x.h5: "), "\(error)")
                }
            }
        }
    }
}

/// The error opening `path` with a given reader, or nil when it opens.
func openingError(_ path: String, reader: String, watchdog: Int = 10) -> HDF5Error? {
    do {
        _ = try HDF5File(path: path, reader: ReaderOptions(inProcess: false, executable: reader, watchdogSeconds: watchdog))
        return nil
    } catch {
        return error
    }
}
