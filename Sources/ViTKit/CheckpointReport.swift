/// How a checkpoint was understood: its format and convention, what was read from where, what was assumed.
public struct CheckpointReport: Sendable, Equatable, CustomStringConvertible {
    /// The container format (`safetensors`, `hdf5`, `torch`, `npz`, `vitkit-bin`).
    public let format: String
    /// The naming convention used.
    public let convention: Convention
    /// The mapping's full report (heads source, config source, notes).
    public let mapping: InferenceReport

    /// - Parameters:
    ///   - format: the container format.
    ///   - mapping: the mapping's report.
    public init(format: String, mapping: InferenceReport) {
        self.format = format
        self.convention = mapping.convention
        self.mapping = mapping
    }

    /// Everything worth knowing about how the model was read, one sentence each.
    public var notes: [String] { mapping.notes }

    /// The values nothing in the checkpoint recorded and ViTKit assumed (pass them in `CheckpointOptions`
    /// to settle them).
    public var assumptions: [String] {
        (mapping.headsSource == .assumedHeadDim64 ? ["attention heads: nothing records them; head dim 64 assumed"] : [])
            + notes.filter { $0.contains(" assumed") }
    }

    /// The report as lines: format, convention, heads, config source, assumptions, notes.
    public var lines: [String] {
        var l = ["format: \(format)",
                 "convention: \(convention.rawValue)\(mapping.detected ? " (detected)" : " (forced)")"
                    + (mapping.dialect.isEmpty ? "" : ", \(mapping.dialect)"),
                 "heads: from " + (mapping.headsSource == .userFlag ? "the heads option" : "\(mapping.headsSource)")]
        if let c = mapping.configSource { l.append("config: from \(c)") }
        let assumed = Set(assumptions)
        l += assumptions.map { "assumption: \($0)" }
        l += notes.filter { !assumed.contains($0) }.map { "note: \($0)" }
        return l
    }

    public var description: String { lines.joined(separator: "\n") }
}
