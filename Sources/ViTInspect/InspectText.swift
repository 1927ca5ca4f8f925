import Foundation
import ViTTensor

extension TensorStatistics {
    /// A table of statistics, one row per tensor: name, dtype, shape, min, max, mean, std, and the
    /// counts of NaN, Inf and zeros. Values print with 6 significant digits; `--` when a tensor has no
    /// finite value.
    /// - Parameter stats: the rows, in the order to print.
    public static func table(_ stats: [TensorStatistics]) -> String {
        let header = ["Tensor", "DType", "Shape", "Min", "Max", "Mean", "Std", "NaN", "Inf", "Zeros"]
        var rows: [[String]] = [header]
        for s in stats {
            rows.append([s.name, s.dtype.rawValue, "[" + s.shape.map(String.init).joined(separator: ", ") + "]",
                         number(s.min), number(s.max), number(s.mean), number(s.std),
                         String(s.nanCount), String(s.infCount), String(s.zeroCount)])
        }
        var widths = [Int](repeating: 0, count: header.count)
        for r in rows { for (i, v) in r.enumerated() { widths[i] = Swift.max(widths[i], v.count) } }
        let rule = String(repeating: "=", count: widths.reduce(0, +) + 2 * (widths.count - 1)) + "\n"
        func line(_ r: [String]) -> String {
            var out = ""
            for (i, v) in r.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - v.count)
                // Text columns left-aligned, numbers right-aligned.
                out += i < 3 ? v + pad : pad + v
                if i < r.count - 1 { out += "  " }
            }
            return out + "\n"
        }
        var out = rule + line(header) + rule
        for r in rows.dropFirst() { out += line(r) }
        return out + rule
    }

    /// `%.6g`, or `--` for nil.
    static func number(_ v: Double?) -> String {
        guard let v else { return "--" }
        return String(format: "%.6g", v)
    }
}

extension CheckpointDiff {
    /// The comparison as text: the config fields that differ, the tensors only one side has, one line
    /// per common tensor (status, dtypes when they differ, largest |difference|), and the verdict line.
    public func render() -> String {
        var out = "comparing \(fileA)\n     with \(fileB) (canonical names, tolerance \(Self.number(tolerance)))\n"
        for c in configDifferences { out += "config \(c.key): \(c.a) vs \(c.b)\n" }
        for n in onlyInA { out += "only in \(fileA): \(n)\n" }
        for n in onlyInB { out += "only in \(fileB): \(n)\n" }
        let width = tensors.map(\.name.count).max() ?? 0
        for t in tensors {
            let name = t.name + String(repeating: " ", count: width - t.name.count)
            var line = "\(name)  "
            switch t.status {
            case .shapeMismatch:
                line += "shape \(Shape.describe(t.shapeA)) vs \(Shape.describe(t.shapeB))"
            case .equal:
                line += "equal"
            case .withinTolerance:
                line += "within tolerance, max |diff| \(Self.number(t.maxAbsDifference ?? 0))"
            case .differs:
                line += "DIFFERS, max |diff| \(Self.number(t.maxAbsDifference ?? 0)) (\(t.elementsOverTolerance) of "
                    + "\(t.shapeA.reduce(1, *)) values over tolerance)"
            }
            if t.dtypeDiffers { line += "; dtype \(t.dtypeA.rawValue) vs \(t.dtypeB.rawValue)" }
            out += line + "\n"
        }
        return out + verdict + "\n"
    }

    /// One line: `equal: …` or `differ: …` with the counts behind it.
    public var verdict: String {
        let maxText = maxAbsDifference.map { ", max |diff| \(Self.number($0))" } ?? ""
        let dtypes = dtypeChanges.isEmpty ? "" : ", \(dtypeChanges.count) stored with another dtype"
        if isEqual {
            let how = maxAbsDifference == 0 || maxAbsDifference == nil ? "" : " within tolerance \(Self.number(tolerance))"
            return "equal\(how): \(tensors.count) tensors\(maxText)\(dtypes)"
        }
        var parts: [String] = []
        let valueDiffs = tensors.filter { $0.status == .differs }.count
        let shapeDiffs = tensors.filter { $0.status == .shapeMismatch }.count
        if valueDiffs > 0 { parts.append("\(valueDiffs) tensor(s) over tolerance \(Self.number(tolerance))") }
        if shapeDiffs > 0 { parts.append("\(shapeDiffs) with another shape") }
        if !onlyInA.isEmpty { parts.append("\(onlyInA.count) only in the first") }
        if !onlyInB.isEmpty { parts.append("\(onlyInB.count) only in the second") }
        if !configDifferences.isEmpty { parts.append("\(configDifferences.count) config field(s) differ") }
        return "differ: " + parts.joined(separator: ", ") + " (of \(tensors.count) common tensors\(maxText)\(dtypes))"
    }

    /// `%g` text of a difference (`inf` for an infinite one).
    static func number(_ v: Double) -> String {
        v.isInfinite ? "inf" : String(format: "%g", v)
    }
}
