import ViTTensor

/// Writes a mapping file (`--suggest-map`) for a checkpoint: every tensor the structure (or a table) places, with
/// the block index as `{i}`, and `"?"` for the rest, for the user to fill in with a canonical name or `"drop"`.
public enum MapSuggestion {
    /// The JSON text of a version-1 mapping file.
    /// - Parameters:
    ///   - infos: the tensor headers.
    ///   - context: the file and its metadata.
    ///   - options: mapping options (a given `--map` is honoured).
    public static func json(_ infos: [TensorInfo], context: SourceContext, options: MappingOptions) -> String {
        var lines: [String: String] = [:]
        var o = options
        o.allowUnused = true
        var placed: [String: String] = [:]
        if let selection = try? ViTMapper.select(infos, context: context, forced: o.convention, options: o) {
            for (role, sources) in selection.assignment.bindings {
                for s in sources where s.slice == nil { placed[s.info.name] = role.canonicalName }
            }
        }
        for info in infos {
            let (source, block) = generic(info.name)
            var target = placed[info.name] ?? "?"
            if let b = block, target != "?" {
                let prefix = "blocks.\(b)."
                guard target.hasPrefix(prefix) else { lines[info.name] = target; continue }
                target = "blocks.{i}." + target.dropFirst(prefix.count)
            }
            // A pattern is kept only when every block agrees on it.
            if let existing = lines[source], existing != target { lines[info.name] = target } else { lines[source] = target }
        }
        let body = lines.sorted { $0.key < $1.key }.map { "    \(ConfigJSON.quote($0.key)): \(ConfigJSON.quote($0.value))" }
        return "{\n  \"version\": 1,\n  \"tensors\": {\n" + body.joined(separator: ",\n") + "\n  }\n}\n"
    }

    /// The name with its first numbered component that is not the last replaced by `{i}`, and that number.
    static func generic(_ name: String) -> (String, Int?) {
        var comps = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let j = comps.indices.first(where: { Int(comps[$0]) != nil && $0 < comps.count - 1 }), let n = Int(comps[j]) else {
            return (name, nil)
        }
        comps[j] = "{i}"
        return (comps.joined(separator: "."), n)
    }
}
