import Foundation

/// The result of running one of the built command-line tools.
struct ToolResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// The folder holding the built products (the test runner lives there too).
let productsFolder: URL = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
    // The runner may be inside ViTKitPackageTests.xctest/… on some layouts.
    while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("vit-run").path) {
        url = url.deletingLastPathComponent()
    }
    return url
}()

/// Runs the built tool `name` with `arguments` and captures its output and exit status.
func runTool(_ name: String, _ arguments: [String]) throws -> ToolResult {
    try runExecutable(productsFolder.appendingPathComponent(name), arguments)
}

/// Runs the program at `url` with `arguments`, reading stdout and stderr concurrently.
func runExecutable(_ url: URL, _ arguments: [String]) throws -> ToolResult {
    let p = Process()
    p.executableURL = url
    p.arguments = arguments
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    // Drain stderr on another thread while reading stdout here: a child that fills one pipe while the
    // parent blocks on the other would deadlock (seen with sanitizer reports on stderr).
    let errBox = DataBox()
    let reader = Thread { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); errBox.done.signal() }
    reader.start()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    errBox.done.wait()
    let e = errBox.data
    p.waitUntilExit()
    return ToolResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
}

/// True when the tests (and so the tools beside them) are a sanitizer build: AddressSanitizer keeps freed
/// memory in a quarantine (256 MB by default) and pads every allocation, ThreadSanitizer shadows it, so
/// peak-RSS bounds measured on a normal build do not hold there.
let underSanitizer: Bool = dlsym(nil, "__asan_init") != nil || underThreadSanitizer

/// True in a ThreadSanitizer build. Its runtime dies with SIGBUS while starting up under a file-size
/// limit (`ulimit -f`), before any of our code runs, so tests that set one cannot run there.
let underThreadSanitizer: Bool = dlsym(nil, "__tsan_init") != nil

/// A fresh temporary folder.
func makeTempFolder() -> String {
    let d = NSTemporaryDirectory() + "vitkit-cli-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// Holds what the stderr reader thread read.
final class DataBox: @unchecked Sendable {
    var data = Data()
    let done = DispatchSemaphore(value: 0)
}
