/// Choosing the state dict inside a checkpoint and cleaning its keys, as timm's `load_state_dict` does.
enum TorchStateDict {
    /// Prefixes removed from keys, in timm's `clean_state_dict` order (DDP and torch.compile wrappers).
    static let wrapperPrefixes = ["_orig_mod.", "module.", "_orig_mod."]

    struct Chosen {
        /// (cleaned name, original key, tensor) in dict order.
        var entries: [(name: String, key: String, tensor: PickleTensor)] = []
        var metadata: [String: String] = [:]
    }

    /// Picks the state dict: `state_dict_ema` then `model_ema` when `useEMA`, else `state_dict` then
    /// `model`, else the top-level dict itself.
    static func choose(_ top: PickleValue, useEMA: Bool, file: String) throws -> Chosen {
        guard case let .dict(root) = top else { throw TorchError.notADict(file: file, found: top.kindName) }
        var key: String?
        func present(_ k: String) -> Bool {
            if let v = root[k], case .none = v { return false }
            return root[k] != nil
        }
        if useEMA && present("state_dict_ema") {
            key = "state_dict_ema"
        } else if useEMA && present("model_ema") {
            key = "model_ema"
        } else if root["state_dict"] != nil {
            key = "state_dict"
        } else if root["model"] != nil {
            key = "model"
        }
        var chosen = Chosen()
        var dict = root
        if let key, let inner = root[key] {
            guard case let .dict(d) = inner else { throw TorchError.notADict(file: file, found: "\(inner.kindName) under '\(key)'") }
            dict = d
            chosen.metadata["vitkit_wrapper_key"] = key
            let others = root.entries.compactMap { e -> String? in
                if case let .string(s) = e.key { return s == key ? nil : s }
                return "<\(e.key.kindName) key>"
            }
            if !others.isEmpty { chosen.metadata["vitkit_skipped_entries"] = others.joined(separator: ",") }
        }
        var seen = Set<String>()
        var stripped: [String] = []
        for (k, v) in dict.entries {
            guard case let .string(key) = k else { throw TorchError.nonStringKey(file: file, found: k.kindName) }
            guard case let .tensor(t) = v else { throw TorchError.notATensor(file: file, key: key, found: v.kindName) }
            var name = key
            for p in wrapperPrefixes where name.hasPrefix(p) {
                name.removeFirst(p.count)
                if !stripped.contains(p) { stripped.append(p) }
            }
            guard seen.insert(name).inserted else { throw TorchError.duplicateTensor(file: file, name: name) }
            chosen.entries.append((name, key, t))
        }
        if !stripped.isEmpty { chosen.metadata["vitkit_stripped_prefixes"] = stripped.joined(separator: ",") }
        return chosen
    }
}
