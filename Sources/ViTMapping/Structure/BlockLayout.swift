import ViTTensor

/// The transformer blocks of a hand-written model: the repeated numbered module (`layers.N`, `blocks.N`,
/// `transformer_encoders.N`, a `Sequential`'s index …) and the units of each block, by their path inside it.
struct BlockLayout: Sendable {
    /// The path of the container whose numbered children are the blocks ("" for a top-level Sequential).
    let container: String
    /// Block → (path inside the block → unit). Every block has the same inner paths and shapes.
    let blocks: [[String: ModuleUnit]]
    /// The inner paths of a block, in the source order of block 0.
    let innerPaths: [String]
    /// For a model with a single block and no index (`transformer.MHA…`), that block's path prefix.
    var singlePrefix: String? = nil

    var depth: Int { blocks.count }
    /// The block-0 unit at an inner path.
    func template(_ inner: String) -> ModuleUnit? { blocks.first?[inner] }

    /// The prefix that starts block `i`'s paths.
    func prefix(_ i: Int) -> String {
        if let singlePrefix { return singlePrefix }
        return container.isEmpty ? "\(i)." : "\(container).\(i)."
    }

    /// The `--map` pattern prefix of a block (`layers.{i}.`; a single unnumbered block's own path).
    var mapPattern: String {
        if let singlePrefix { return singlePrefix }
        return container.isEmpty ? "{i}." : "\(container).{i}."
    }

    /// Candidates for a model with one transformer block and no block index: every module path that holds
    /// several layers, biggest first (the reader keeps the first whose units read as a block).
    static func singleBlockCandidates(_ units: [ModuleUnit]) -> [(BlockLayout, outside: [ModuleUnit])] {
        var counts: [String: Int] = [:]
        for u in units {
            let comps = u.components
            for j in 1..<max(comps.count, 1) { counts[comps[..<j].joined(separator: "."), default: 0] += 1 }
        }
        return counts.filter { $0.value >= 6 }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { p, _ in
            var inner: [String: ModuleUnit] = [:], order: [String] = [], outside: [ModuleUnit] = []
            for u in units {
                if u.path.hasPrefix(p + ".") {
                    let rest = String(u.path.dropFirst(p.count + 1))
                    inner[rest] = u
                    order.append(rest)
                } else { outside.append(u) }
            }
            return (BlockLayout(container: p, blocks: [inner], innerPaths: order, singlePrefix: p + "."), outside)
        }
    }

    /// Finds the numbered container that holds the most tensors under indices 0 ..< n (ties: the shorter path),
    /// then sorts the units into blocks.
    /// - Returns: nil when no numbered container exists; the units outside the blocks come back separately.
    /// - Throws: `MappingError.inconsistentBlocks` when the blocks differ in their inner paths or shapes.
    static func find(_ units: [ModuleUnit], file: String) throws -> (BlockLayout, outside: [ModuleUnit])? {
        var coverage: [String: (indices: Set<Int>, tensors: Int)] = [:]
        for u in units {
            let comps = u.components
            for (j, c) in comps.enumerated() where j < comps.count - 1 {
                guard let n = Int(c), String(n) == c else { continue }
                let container = comps[..<j].joined(separator: ".")
                coverage[container, default: ([], 0)].indices.insert(n)
                coverage[container, default: ([], 0)].tensors += u.tensors.count
            }
        }
        let viable = coverage.filter { entry in
            let idx = entry.value.indices
            return idx.min() == 0 && idx.count == (idx.max() ?? -1) + 1 && entry.value.tensors >= 2
        }
        guard let best = viable.max(by: { a, b in
            a.value.tensors != b.value.tensors ? a.value.tensors < b.value.tensors : a.key.count > b.key.count
        }) else { return nil }
        let container = best.key
        let depth = best.value.indices.count
        var blocks = Array(repeating: [String: ModuleUnit](), count: depth)
        var outside: [ModuleUnit] = []
        var innerOrder: [String] = []
        for u in units {
            guard let (i, inner) = blockIndex(u.path, container: container), i < depth else { outside.append(u); continue }
            blocks[i][inner] = u
            if i == 0 { innerOrder.append(inner) }
        }
        let layout = BlockLayout(container: container, blocks: blocks, innerPaths: innerOrder)
        try layout.checkAlike(file: file)
        return (layout, outside)
    }

    /// `container.N.rest` → (N, rest).
    static func blockIndex(_ path: String, container: String) -> (Int, String)? {
        let rest: Substring
        if container.isEmpty { rest = Substring(path) } else {
            guard path.hasPrefix(container + ".") else { return nil }
            rest = path.dropFirst(container.count + 1)
        }
        guard let dot = rest.firstIndex(of: "."), let n = Int(rest[..<dot]), String(n) == rest[..<dot] else { return nil }
        return (n, String(rest[rest.index(after: dot)...]))
    }

    /// Every block must hold the same inner paths with the same shapes as block 0.
    private func checkAlike(file: String) throws {
        guard let first = blocks.first else { return }
        for (i, b) in blocks.enumerated().dropFirst() {
            var differences: [String] = []
            for (inner, u) in first {
                guard let other = b[inner] else { differences.append("\(prefix(i))\(inner) is missing (block 0 has it)"); continue }
                if other.tensors.map(\.shape) != u.tensors.map(\.shape) {
                    differences.append("\(prefix(i))\(inner) is \(other.tensors.map { Shape.describe($0.shape) }.joined(separator: " + ")), "
                                       + "block 0 has \(u.tensors.map { Shape.describe($0.shape) }.joined(separator: " + "))")
                }
            }
            for inner in b.keys where first[inner] == nil { differences.append("\(prefix(i))\(inner) has no counterpart in block 0") }
            if !differences.isEmpty {
                throw MappingError.inconsistentBlocks(file: file, container: container.isEmpty ? "(top level)" : container,
                                                      differences: differences.sorted())
            }
        }
    }
}
