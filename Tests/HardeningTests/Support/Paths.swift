import Foundation
import ViTTestSupport

/// The repository root (three levels up from this file's folder's parent: Tests/HardeningTests/Support).
let repoRoot: URL = Fixtures.repository

/// tools/fuzz-corpus.
let fuzzCorpus = repoRoot.appendingPathComponent("tools/fuzz-corpus")

/// The folder holding the built products (the test runner lives there, or below it).
let productsFolder: URL = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
    while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("fuzz-safetensors").path) {
        url = url.deletingLastPathComponent()
    }
    return url
}()

/// The path of the built executable `name`.
func product(_ name: String) -> String { productsFolder.appendingPathComponent(name).path }

/// A fresh, empty temporary folder (removed by `removeFolder`).
func makeTempFolder(_ tag: String) -> String {
    var template = Array("\(NSTemporaryDirectory())vitkit-hardening-\(tag)-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    if made == nil { return NSTemporaryDirectory() + "vitkit-hardening-\(tag)-\(UUID().uuidString)" }
    return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Removes `path` and everything under it (restoring permissions first).
func removeFolder(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// The names in folder `path` (hidden ones included), sorted.
func listFolder(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}

/// True when something exists at `path` (without following a final symlink).
func exists(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0
}

/// `stat` of `path`, or nil when it does not exist.
func statOf(_ path: String) -> stat? {
    var st = stat()
    return stat(path, &st) == 0 ? st : nil
}
