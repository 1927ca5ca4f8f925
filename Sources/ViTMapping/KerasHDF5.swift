import ViTHDF5
import ViTTensor

extension SourceContext {
    /// The context of an open checkpoint: its path, metadata, shipped config.json and, for Keras HDF5 files,
    /// the weight names recorded in attributes.
    /// - Parameter source: an open checkpoint.
    /// - Throws: `HDF5Error` when Keras attributes exist but cannot be read.
    public init(source: TensorSource) throws {
        self.init(file: source.path, metadata: source.metadata, configJSON: source.configJSON,
                  keras: try KerasNames.read(from: source))
    }
}

extension KerasNames {
    /// Reads the Keras names of an HDF5 source; nil for other sources and for HDF5 files without Keras structure.
    ///
    /// Legacy files: the root (or `model_weights`) attribute `layer_names`, then each layer group's
    /// `weight_names`; the weight `w` of layer `l` is the dataset `l/w`. Keras 3 `.weights.h5`: every dataset
    /// `…/vars/<n>` is named by the `name` attributes of the `vars` groups of its enclosing layers, joined with
    /// `/`, then `n`.
    /// - Parameter source: an open checkpoint.
    /// - Throws: `HDF5Error` when an attribute cannot be read.
    static func read(from source: TensorSource) throws -> KerasNames? {
        guard let file = source as? HDF5File else { return nil }
        return try legacy(file) ?? keras3(file)
    }

    private static func legacy(_ file: HDF5File) throws -> KerasNames? {
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

    private static func keras3(_ file: HDF5File) throws -> KerasNames? {
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
