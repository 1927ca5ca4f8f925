import Foundation
import ViTTensor

/// Renders the top-K classes of each row of a logits tensor.
enum TopK {
    static func render(_ logits: Tensor, k: Int, labels: [String]?, isFeatures: Bool) -> String {
        let values = logits.floats()
        let n = logits.shape[0], width = logits.shape[1]
        var lines: [String] = []
        for i in 0..<n {
            let row = Array(values[(i * width)..<((i + 1) * width)])
            if isFeatures {
                let norm = row.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
                lines.append("image \(i): \(width) features, L2 norm \(String(format: "%.6g", norm))")
                continue
            }
            lines.append("image \(i):")
            let order = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
            let maxLogit = Double(row.max() ?? 0)
            let denom = row.reduce(0.0) { $0 + exp(Double($1) - maxLogit) }
            for c in order.prefix(k) {
                let p = exp(Double(row[c]) - maxLogit) / denom
                let name = labels.flatMap { c < $0.count ? " \($0[c])" : nil } ?? ""
                lines.append(String(format: "  %5d%@  logit %10.5f  p %.4f", c, name, row[c], p))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The top-K classes of each row as JSON: `{"images": [{"input": FILE, "top": [{"class", "label", "logit", "p"}]}]}`
    /// (features: `{"input", "features", "l2_norm"}`).
    static func json(_ logits: Tensor, k: Int, labels: [String]?, inputs: [String]?, isFeatures: Bool) -> String {
        let values = logits.floats()
        let n = logits.shape[0], width = logits.shape[1]
        var images: [[String: Any]] = []
        for i in 0..<n {
            let row = Array(values[(i * width)..<((i + 1) * width)])
            var entry: [String: Any] = ["index": i]
            if let inputs, i < inputs.count { entry["input"] = inputs[i] }
            if isFeatures {
                entry["features"] = width
                entry["l2_norm"] = row.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
                images.append(entry)
                continue
            }
            let order = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
            let maxLogit = Double(row.max() ?? 0)
            let denom = row.reduce(0.0) { $0 + exp(Double($1) - maxLogit) }
            entry["top"] = order.prefix(k).map { c -> [String: Any] in
                var t: [String: Any] = ["class": c, "logit": Double(row[c]), "p": exp(Double(row[c]) - maxLogit) / denom]
                if let labels, c < labels.count { t["label"] = labels[c] }
                return t
            }
            images.append(entry)
        }
        let data = (try? JSONSerialization.data(withJSONObject: ["images": images], options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
