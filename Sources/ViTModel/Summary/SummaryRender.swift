import Foundation

extension ViTSummary {
    /// A torchinfo-style table: the layer rows down to `depth`, then parameter and memory totals, then
    /// the compute counts.
    ///
    /// Row lines are laid out exactly as torchinfo 1.8 lays them out (`Layer (type:depth-idx)`,
    /// `Output Shape`, `Param #`; a container above the depth limit shows only the parameters it holds
    /// itself, one at the limit shows its whole subtree), so for a timm model they equal torchinfo's
    /// lines with the `Identity`/`Dropout` rows taken out.
    /// - Parameters:
    ///   - depth: Deepest row level to show (0 = the root only; 4 shows every module).
    public func render(depth: Int = 3) -> String {
        let maxDepth = max(depth, 0)
        let nameWidth = Self.nameWidth(layers)
        let columnWidth = 25
        let rule = String(repeating: "=", count: nameWidth + 2 * columnWidth) + "\n"

        func row(_ name: String, _ values: [String]) -> String {
            var line = name.padded(to: nameWidth) + " "
            for v in values { line += v.padded(to: columnWidth) + " " }
            while line.last == " " { line.removeLast() }
            return line + "\n"
        }

        var out = rule + row("Layer (type:depth-idx)", ["Output Shape", "Param #"]) + rule
        for layer in layers where layer.depth <= maxDepth {
            let subtree = layer.depth == 0 ? totalParams : layer.params
            let shown: String
            if subtree == 0 {
                shown = "--"
            } else if layer.depth == maxDepth || layer.isLeaf {
                shown = Self.grouped(subtree)
            } else {
                shown = layer.ownParams > 0 ? Self.grouped(layer.ownParams) : "--"
            }
            let shape = layer.outputShape.isEmpty ? "--" : "[" + layer.outputShape.map(String.init).joined(separator: ", ") + "]"
            out += row(Self.prefix(layer.depth) + Self.title(layer), [shape, shown])
        }
        out += rule
        out += "Total params: \(Self.grouped(totalParams))\n"
        out += "Trainable params: \(Self.grouped(trainableParams))\n"
        out += "Non-trainable params: \(Self.grouped(nonTrainableParams))\n"
        out += rule
        out += "Input size (MB): \(Self.megabytes(inputBytes))\n"
        out += "Forward/backward pass size (MB): \(Self.megabytes(forwardBackwardBytes))\n"
        let dtypeNote = parameterDType == .f32 ? "" : ", \(parameterDType.shortName)"
        out += "Params size (MB\(dtypeNote)): \(Self.megabytes(paramsBytes))\n"
        out += "Estimated Total Size (MB): \(Self.megabytes(estimatedTotalBytes))\n"
        out += rule
        out += "MACs: \(Self.grouped(macs)) (\(Self.scaled(macs)))\n"
        out += "MACs without attention: \(Self.grouped(macsWithoutAttention)) (\(Self.scaled(macsWithoutAttention)))\n"
        out += "Activations: \(Self.grouped(activations)) (\(Self.scaled(activations)))\n"
        out += rule
        return out
    }

    /// `Linear: 4-1`, or the bare type for the root.
    static func title(_ layer: SummaryLayer) -> String {
        layer.depth == 0 ? layer.type : "\(layer.type): \(layer.depthIndex)"
    }

    /// torchinfo's tree prefix for a depth.
    static func prefix(_ depth: Int) -> String {
        switch depth {
        case 0: return ""
        case 1: return "├─"
        default: return String(repeating: "│    ", count: depth - 1) + "└─"
        }
    }

    /// torchinfo's first-column width: 40, or the longest `title + 5·depth + 1` rounded up to a
    /// multiple of 5 when that reaches 40.
    static func nameWidth(_ layers: [SummaryLayer]) -> Int {
        let longest = layers.map { title($0).count + 5 * $0.depth + 1 }.max() ?? 0
        return longest >= 40 ? (longest + 4) / 5 * 5 : 40
    }

    /// An integer with thousands separators: `5,717,416`.
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }

    /// Bytes as decimal megabytes with two decimals, as torchinfo prints them.
    static func megabytes(_ bytes: Int) -> String {
        String(format: "%.2f", Double(bytes) / 1e6)
    }

    /// A count in K/M/G/T with two decimals (`1.26 G`).
    static func scaled(_ n: Int) -> String {
        let v = Double(n)
        for (unit, scale) in [("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)] where v >= scale {
            return String(format: "%.2f", v / scale) + " " + unit
        }
        return "\(n)"
    }
}

extension String {
    /// Left-aligned in a field of `width` characters (no truncation).
    fileprivate func padded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
