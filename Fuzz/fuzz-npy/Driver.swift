#if canImport(Glibc)
import Glibc
#endif

/// Runs `harness` over each file in `paths`, printing one line per file; exits 2 when a file cannot be read.
/// (Duplicated in each fuzz target, which depends only on its own format module.)
func replayFiles(_ paths: ArraySlice<String>, name: String, harness: (UnsafeRawBufferPointer) -> Int) {
    if paths.isEmpty {
        print("usage: \(name) FILE...   (replays inputs through the harness; build with tools/fuzz.sh to fuzz)")
        exit(2)
    }
    for path in paths {
        guard let bytes = readWholeFile(path) else {
            let message = "\(name): \(path): cannot read: \(String(cString: strerror(errno)))\n"
            _ = message.utf8CString.withUnsafeBytes { write(2, $0.baseAddress, $0.count - 1) }
            exit(2)
        }
        let n = bytes.withUnsafeBytes { harness($0) }
        print("\(path): \(bytes.count) bytes, \(n) read")
    }
}

/// The bytes of the file at `path`, or nil when it cannot be opened or read.
func readWholeFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 { if errno == EINTR { continue }; return nil }
        if n == 0 { return out }
        out += chunk[0..<n]
    }
}

#if FUZZING
/// libFuzzer's driver (compiler-rt, `-sanitize=fuzzer`): parses libFuzzer flags from the command line and
/// calls `callback` once per input.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// Runs libFuzzer on this process's command line with `callback` as the test-one-input function.
func runLibFuzzer(_ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    return LLVMFuzzerRunDriver(&argc, &argv, callback)
}
#endif
