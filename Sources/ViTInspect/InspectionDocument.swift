import Foundation
import ViTMapping
import ViTModel

/// The JSON form of `vit-summary --json`: the `ViTSummary` keys (docs/summary.md) plus what the
/// checkpoint is and how it was understood, and the tensor statistics when asked for.
public struct InspectionDocument: Encodable {
    /// The checkpoint's path.
    public let file: String
    /// Its container format (`safetensors`, `hdf5`, …).
    public let format: String
    /// The mapping report (convention, dialect, where the heads came from, notes).
    public let report: InferenceReport
    /// The summary of the inferred config at the requested batch and image size.
    public let summary: ViTSummary
    /// Per-tensor statistics in file order, when computed.
    public let stats: [TensorStatistics]?

    /// - Parameters:
    ///   - file: the checkpoint's path.
    ///   - format: its container format.
    ///   - report: how the mapping understood it.
    ///   - summary: the summary.
    ///   - stats: per-tensor statistics, or nil.
    public init(file: String, format: String, report: InferenceReport, summary: ViTSummary, stats: [TensorStatistics]? = nil) {
        self.file = file
        self.format = format
        self.report = report
        self.summary = summary
        self.stats = stats
    }

    enum CodingKeys: String, CodingKey {
        case file, format, convention, dialect, detected, headsSource = "heads_source", configSource = "config_source"
        case notes, stats
    }

    /// Writes the summary's keys and these keys into one object.
    public func encode(to encoder: Encoder) throws {
        try summary.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(file, forKey: .file)
        try c.encode(format, forKey: .format)
        try c.encode(report.convention.rawValue, forKey: .convention)
        try c.encode(report.dialect, forKey: .dialect)
        try c.encode(report.detected, forKey: .detected)
        try c.encode(report.headsSource.description, forKey: .headsSource)
        try c.encodeIfPresent(report.configSource, forKey: .configSource)
        try c.encode(report.notes, forKey: .notes)
        try c.encodeIfPresent(stats, forKey: .stats)
    }

    /// The document as JSON text (sorted keys; non-finite numbers, which only a diff can hold, as strings).
    /// - Parameter pretty: indent the output.
    /// - Throws: `EncodingError` (not expected: every value is a plain number, string or array).
    public func jsonString(pretty: Bool = false) throws -> String {
        try InspectJSON.string(self, pretty: pretty)
    }
}

/// JSON encoding shared by the inspection outputs.
enum InspectJSON {
    static func string<T: Encodable>(_ value: T, pretty: Bool) throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try enc.encode(value), as: UTF8.self)
    }
}

extension CheckpointDiff {
    /// The comparison as JSON text (sorted keys; an infinite difference is the string `"inf"`).
    /// - Parameter pretty: indent the output.
    /// - Throws: `EncodingError` (not expected).
    public func jsonString(pretty: Bool = false) throws -> String {
        try InspectJSON.string(self, pretty: pretty)
    }
}
