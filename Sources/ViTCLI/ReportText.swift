#if canImport(Glibc)
import Glibc
#endif
import ViTMapping
import ViTModel

/// Human-readable lines describing how a checkpoint was understood (for stderr or a summary head).
public func describe(_ report: InferenceReport) -> [String] {
    var lines = ["convention: \(report.convention.rawValue)\(report.detected ? " (detected)" : " (forced)")"
                 + (report.dialect.isEmpty ? "" : ", \(report.dialect)"),
                 "heads: from \(report.headsSource)"]
    if let c = report.configSource { lines.append("config: from \(c)") }
    lines += report.notes.map { "note: \($0)" }
    return lines
}

/// Writes `text` to standard error.
public func printError(_ text: String) {
    var err = StandardError()
    print(text, to: &err)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var bytes = Array(string.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + off, $0.count - off) }
            if n <= 0 { return }
            off += n
        }
    }
}
