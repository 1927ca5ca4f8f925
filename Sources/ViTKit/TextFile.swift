import Foundation

/// Reads small text files (mapping files).
enum TextFile {
    /// The UTF-8 text of the file at `path`, or nil when it cannot be read or is not UTF-8.
    static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(data: data, encoding: .utf8)
    }
}
