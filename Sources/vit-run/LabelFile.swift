import Foundation
import ViTImage

/// `--labels FILE`: class names, one per line (blank trailing lines ignored).
enum LabelFile {
    static func read(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ImageError.io(file: path, message: "cannot read the label file (expected UTF-8 text, one class name per line)")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        while lines.last == "" { lines.removeLast() }
        return lines
    }
}
