import ViTTensor

/// Why a set of weights or an input does not fit a Vision Transformer.
public enum ViTModelError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The config itself is inconsistent.
    case invalidConfig(ViTConfigError)
    /// Canonical tensors the config needs that were not given (all of them, in canonical order).
    case missingTensors([String])
    /// Tensors given that the config has no place for (all of them, sorted).
    case unexpectedTensors([String])
    /// A tensor whose shape is not the canonical shape for the config.
    case shapeMismatch(tensor: String, expected: [Int], found: [Int])
    /// A tensor (or the input, named `input`) that does not hold floating-point numbers.
    case nonFloatDType(tensor: String, dtype: DType)
    /// An input batch whose shape is not [N, C, H, W] for the config's channels and image size.
    case inputShape(expected: [Int], found: [Int])
    /// An input batch with no images.
    case emptyBatch
    /// A raw input buffer whose length is not batch × C × H × W.
    case inputCount(expected: Int, found: Int)
    /// A raw output buffer whose length is not batch × output width.
    case outputCount(expected: Int, found: Int)
    /// A layer asked for that the model does not have (1 ... depth, or -1 ... -depth from the end).
    case layerOutOfRange(layer: Int, depth: Int)

    public var description: String {
        switch self {
        case let .invalidConfig(e):
            return "invalid model config: \(e)"
        case let .missingTensors(names):
            return "\(names.count) tensor(s) the config needs are missing: \(names.joined(separator: ", "))"
        case let .unexpectedTensors(names):
            return "\(names.count) tensor(s) have no place in the config: \(names.joined(separator: ", "))"
        case let .shapeMismatch(t, e, f):
            return "tensor '\(t)': expected shape \(Shape.describe(e)), found \(Shape.describe(f))"
        case let .nonFloatDType(t, d):
            return "tensor '\(t)': expected a floating-point dtype, found \(d.rawValue)"
        case let .inputShape(e, f):
            return "input: expected shape \(Shape.describe(e)) (N, C, H, W), found \(Shape.describe(f)); "
                + "resize the image, or resize the model's position embeddings"
        case .emptyBatch:
            return "input: the batch holds no images"
        case let .inputCount(e, f):
            return "input: expected \(e) floats (batch × C × H × W), found \(f)"
        case let .outputCount(e, f):
            return "output: expected room for \(e) floats (batch × outputs), found \(f)"
        case let .layerOutOfRange(l, d):
            return "layer \(l): this model has \(d) blocks; give 1...\(d), or -1...-\(d) counted from the end (-1 = last, -2 = penultimate)"
        }
    }
}
