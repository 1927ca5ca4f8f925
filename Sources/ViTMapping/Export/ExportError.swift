/// Errors of planning an export.
public enum ExportError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The layout cannot hold a feature of the model; `holders` are the layouts that can.
    case cannotExpress(layout: ExportLayout, feature: String, reason: String, holders: [ExportLayout])
    /// A tensor the layout has no place for holds values other than zero (e.g. a patch bias for CLIP).
    case nonZeroDropped(layout: ExportLayout, tensor: String, feature: String, holders: [ExportLayout])
    /// A canonical tensor the export needs is not in the checkpoint.
    case missingTensor(String)

    public var description: String {
        switch self {
        case let .cannotExpress(l, f, r, h):
            return "cannot export to \(l.rawValue): the model has \(f), which \(l.library) cannot hold (\(r)); "
                + "layouts that hold it: \(h.map(\.rawValue).joined(separator: ", "))"
        case let .nonZeroDropped(l, t, f, h):
            return "cannot export to \(l.rawValue): \(t) is not all zeros and \(l.library) has no place for it (\(f)); "
                + "layouts that hold it: \(h.map(\.rawValue).joined(separator: ", "))"
        case let .missingTensor(n):
            return "export: the canonical tensor \(n) is missing"
        }
    }
}
