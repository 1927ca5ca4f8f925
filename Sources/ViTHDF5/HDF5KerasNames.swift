import ViTTensor

extension HDF5File {
    /// The Keras names of the file's weights (attributes, not dataset paths); nil for an HDF5 file without
    /// Keras structure.
    ///
    /// Legacy files: the root (or `model_weights`) attribute `layer_names`, then each layer group's
    /// `weight_names`; the weight `w` of layer `l` is the dataset `l/w`. Keras 3 `.weights.h5`: every dataset
    /// `…/vars/<n>` is named by the `name` attributes of the `vars` groups of its enclosing layers, joined with
    /// `/`, then `n`.
    /// - Throws: `HDF5Error` when an attribute cannot be read.
    public func kerasNames() throws -> KerasNames? {
        try KerasAttributeNames.legacy(self) ?? KerasAttributeNames.keras3(self)
    }
}

/// Reading Keras weight names from HDF5 attributes.
enum KerasAttributeNames {
    typealias Weight = KerasNames.Weight

    static func legacy(_ file: HDF5File) throws -> KerasNames? {
        let groups = Set(file.groups)
        var root = "/"
        var layers = try file.stringList("layer_names", of: "/")
        if layers == nil, groups.contains("/model_weights") {
            root = "/model_weights"
            layers = try file.stringList("layer_names", of: root)
        }
        guard let layers else { return nil }
        let byPath = Dictionary(file.datasets.map { ($0.path, $0.info.name) }, uniquingKeysWith: { a, _ in a })
        var weights: [Weight] = []
        for layer in layers {
            let group = join(root, layer)
            guard groups.contains(group), let names = try file.stringList("weight_names", of: group) else { continue }
            for w in names {
                // A weight whose dataset is missing is left out here and reported as missing by the plan.
                if let tensor = byPath[join(group, w)] { weights.append(Weight(tensor: tensor, name: w)) }
            }
        }
        return KerasNames(layout: .legacy, weights: weights)
    }

    static func keras3(_ file: HDF5File) throws -> KerasNames? {
        let groups = Set(file.groups)
        var names: [String: String?] = [:]   // layer group → its `vars/name` attribute (cached)
        func layerName(_ group: String) throws -> String? {
            if let cached = names[group] { return cached }
            var value: String?
            if groups.contains(group + "/vars"), case let .string(s)? = try file.attributes(of: group + "/vars")["name"] { value = s }
            names[group] = value
            return value
        }
        var weights: [Weight] = []
        for d in file.datasets {
            let parts = d.path.split(separator: "/").map(String.init)
            guard parts.count >= 3, parts[parts.count - 2] == "vars", let index = parts.last, Int(index) != nil else { continue }
            // Every enclosing group that is a layer (has a named `vars` group), outermost first; not the model itself.
            var chain: [String] = []
            for k in 0..<(parts.count - 2) {
                let group = "/" + parts[0...k].joined(separator: "/")
                if let n = try layerName(group) { chain.append(n) }
            }
            guard !chain.isEmpty else { continue }
            weights.append(Weight(tensor: d.info.name, name: (chain + [index]).joined(separator: "/")))
        }
        return weights.isEmpty ? nil : KerasNames(layout: .keras3, weights: weights)
    }

    private static func join(_ a: String, _ b: String) -> String {
        "/" + (a.split(separator: "/") + b.split(separator: "/")).joined(separator: "/")
    }
}
