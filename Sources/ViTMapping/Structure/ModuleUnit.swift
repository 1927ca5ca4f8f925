import ViTTensor

/// One parametrised module of a hand-written PyTorch model as its state dict shows it: a module path and the
/// tensors directly under it. Names only group tensors; what a unit *is* comes from its tensors' shapes.
struct ModuleUnit: Sendable {
    /// What the tensors of a unit are, read from their shapes alone.
    enum Kind: Sendable, Equatable {
        /// `nn.Linear` weight (out, in) with an optional bias (out,); also an `nn.Embedding` (rows, width).
        case linear(out: Int, in: Int)
        /// A LayerNorm-like weight (width,) with an optional bias of the same width.
        case norm(width: Int)
        /// A `Conv2d` kernel (out, in, kh, kw) with an optional bias (out,).
        case conv(out: Int, in: Int, kh: Int, kw: Int)
        /// `nn.MultiheadAttention`'s packed projection `in_proj_weight` (3E, E) with an optional `in_proj_bias`.
        case packedInProj(embed: Int)
        /// A bare `nn.Parameter` (a class token, a position embedding, a layer scale …).
        case parameter(shape: [Int])
    }

    /// The module path (`transformer.layers.0.mlp.0`); for a bare parameter, its whole name.
    let path: String
    let kind: Kind
    let weight: TensorInfo
    let bias: TensorInfo?
    /// Position of the unit's first tensor in the source.
    let order: Int

    /// The path's components.
    var components: [Substring] { path.split(separator: ".", omittingEmptySubsequences: false) }
    /// The enclosing module's path ("" at the top).
    var parent: String { components.dropLast().joined(separator: ".") }
    /// The last path component.
    var leaf: String { components.last.map(String.init) ?? path }
    /// The source tensors of the unit, weight first.
    var tensors: [TensorInfo] { [weight] + (bias.map { [$0] } ?? []) }

    /// The trailing decimal number of the leaf (`norm_0` → 0, `norm2` → 2, `mlp.3` → 3), if any.
    var leafNumber: Int? {
        let digits = leaf.reversed().prefix { $0.isASCII && $0.isNumber }
        return digits.isEmpty ? nil : Int(String(digits.reversed()))
    }

    /// Lower-case words of the path: split at non-alphanumerics, digits and camel-case humps
    /// (`FeedForward.norm_1` → feed, forward, feedforward, norm).
    var words: Set<String> { ModuleUnit.words(of: path) }

    static func words(of text: String) -> Set<String> {
        var out = Set<String>()
        for component in text.split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
            let whole = component.lowercased().filter(\.isLetter)
            if !whole.isEmpty { out.insert(whole) }
            var current = ""
            var previousLower = false
            for ch in component {
                if !ch.isLetter {
                    if !current.isEmpty { out.insert(current.lowercased()) }
                    current = ""; previousLower = false
                    continue
                }
                if ch.isUppercase, previousLower, !current.isEmpty { out.insert(current.lowercased()); current = "" }
                current.append(ch)
                previousLower = ch.isLowercase
            }
            if !current.isEmpty { out.insert(current.lowercased()) }
        }
        return out
    }

    /// Groups tensors into units: `<module>.weight` / `<module>.bias` pairs, packed MHA projections, and bare
    /// parameters. A pair whose shapes fit no layer becomes two bare parameters.
    static func group(_ infos: [TensorInfo]) -> [ModuleUnit] {
        struct Pending { var weight: (TensorInfo, Int)?; var bias: (TensorInfo, Int)? }
        var layers: [String: Pending] = [:]
        var packed: [String: Pending] = [:]
        var layerOrder: [String] = [], packedOrder: [String] = []
        var units: [ModuleUnit] = []
        for (index, info) in infos.enumerated() {
            let (module, param) = split(info.name)
            switch param {
            case "weight", "bias":
                if layers[module] == nil { layers[module] = Pending(); layerOrder.append(module) }
                if param == "weight" { layers[module]?.weight = (info, index) } else { layers[module]?.bias = (info, index) }
            case "in_proj_weight", "in_proj_bias":
                if packed[module] == nil { packed[module] = Pending(); packedOrder.append(module) }
                if param == "in_proj_weight" { packed[module]?.weight = (info, index) } else { packed[module]?.bias = (info, index) }
            default:
                units.append(bare(info, index))
            }
        }
        for module in layerOrder {
            guard let p = layers[module] else { continue }
            units += layerUnits(module, p.weight, p.bias)
        }
        for module in packedOrder {
            guard let p = packed[module] else { continue }
            if let (w, wi) = p.weight, w.shape.count == 2, w.shape[0] == 3 * w.shape[1],
               p.bias.map({ $0.0.shape == [w.shape[0]] }) ?? true {
                units.append(ModuleUnit(path: module, kind: .packedInProj(embed: w.shape[1]), weight: w, bias: p.bias?.0,
                                        order: min(wi, p.bias?.1 ?? wi)))
            } else {
                units += [p.weight, p.bias].compactMap { $0 }.map { bare($0.0, $0.1) }
            }
        }
        return units.sorted { $0.order < $1.order }
    }

    private static func layerUnits(_ module: String, _ weight: (TensorInfo, Int)?, _ bias: (TensorInfo, Int)?) -> [ModuleUnit] {
        guard let (w, wi) = weight else { return bias.map { [bare($0.0, $0.1)] } ?? [] }
        let order = min(wi, bias?.1 ?? wi)
        let s = w.shape
        var kind: Kind?
        switch s.count {
        case 1 where bias.map({ $0.0.shape == s }) ?? true: kind = .norm(width: s[0])
        case 2 where bias.map({ $0.0.shape == [s[0]] }) ?? true: kind = .linear(out: s[0], in: s[1])
        case 4 where bias.map({ $0.0.shape == [s[0]] }) ?? true: kind = .conv(out: s[0], in: s[1], kh: s[2], kw: s[3])
        default: kind = nil
        }
        guard let kind, !module.isEmpty else { return [bare(w, wi)] + (bias.map { [bare($0.0, $0.1)] } ?? []) }
        return [ModuleUnit(path: module, kind: kind, weight: w, bias: bias?.0, order: order)]
    }

    private static func bare(_ info: TensorInfo, _ index: Int) -> ModuleUnit {
        ModuleUnit(path: info.name, kind: .parameter(shape: info.shape), weight: info, bias: nil, order: index)
    }

    /// `a.b.weight` → (`a.b`, `weight`); a name without a dot is a top-level parameter.
    static func split(_ name: String) -> (module: String, param: String) {
        guard let dot = name.lastIndex(of: ".") else { return ("", name) }
        return (String(name[..<dot]), String(name[name.index(after: dot)...]))
    }
}
