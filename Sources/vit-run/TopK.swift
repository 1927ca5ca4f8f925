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
}
