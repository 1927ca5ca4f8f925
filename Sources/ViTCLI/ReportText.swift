import SystemPackage
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

/// Writes `text` and a newline to standard error.
public func printError(_ text: String) { writeStandardError(text + "\n") }

/// Writes `text` to standard error as it is, retrying interrupted and partial writes (swift-system's
/// `writeAll`); a failing stderr is ignored (there is nowhere left to report it).
public func writeStandardError(_ text: String) {
    _ = try? FileDescriptor.standardError.writeAll(Array(text.utf8))
}
