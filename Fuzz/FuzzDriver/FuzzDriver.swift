#if canImport(Glibc)
import Glibc
#endif
import ViTTensor

// Shared by every fuzz target: the corpus replayer (normal builds) and the libFuzzer entry (-DFUZZING).

/// What the harness made of one input.
public enum Outcome {
    /// The input opened; `count` tensors (or entries) were read.
    case read(count: Int)
    /// The library refused the input with `error`.
    case refused(any Error)
}

/// Runs `harness` over each file in `paths`, memory-mapped as the library maps files, and prints one
/// line per file: `PATH: N bytes, read K` or `PATH: N bytes, refused: MESSAGE`; at the end it writes
/// `peak RSS: N KiB` (this process's own high-water mark, `VmHWM`) to stderr. Exits 2 when a file
/// cannot be mapped.
public func replayFiles(_ paths: ArraySlice<String>, name: String, harness: (ByteStorage, String) -> Outcome) {
    if paths.isEmpty {
        print("usage: \(name) FILE...   (replays inputs through the harness; build with tools/fuzz.sh to fuzz)")
        exit(2)
    }
    for path in paths {
        let storage: ByteStorage
        do { storage = try ByteStorage(mapping: path) } catch {
            writeError("\(name): \(error)\n")
            exit(2)
        }
        switch harness(storage, path) {
        case let .read(count): print("\(path): \(storage.count) bytes, read \(count)")
        case let .refused(error): print("\(path): \(storage.count) bytes, refused: \(error)")
        }
    }
    writeError("peak RSS: \(peakRSSKiB() ?? -1) KiB\n")
}

/// Writes `text` to stderr.
public func writeError(_ text: String) {
    _ = text.utf8CString.withUnsafeBytes { write(2, $0.baseAddress, $0.count - 1) }
}

/// This process's peak resident set size (`VmHWM` in /proc/self/status, KiB). Unlike `ru_maxrss`
/// seen by a parent, it does not include the parent's memory when the parent spawned it with vfork.
public func peakRSSKiB() -> Int? {
    guard let f = fopen("/proc/self/status", "r") else { return nil }
    defer { fclose(f) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), f) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("VmHWM:") { return Int(text.dropFirst(6).filter(\.isNumber)) }
    }
    return nil
}

#if FUZZING
/// libFuzzer's driver (compiler-rt, `-sanitize=fuzzer`): parses libFuzzer flags from the command line and
/// calls `callback` once per input.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// Runs libFuzzer on this process's command line with `callback` as the test-one-input function.
public func runLibFuzzer(_ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    return LLVMFuzzerRunDriver(&argc, &argv, callback)
}

/// A heap copy of libFuzzer's input (exactly `size` bytes, so AddressSanitizer flags any read past it).
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> ByteStorage {
    ByteStorage(copying: UnsafeRawBufferPointer(start: data, count: size))
}
#endif
