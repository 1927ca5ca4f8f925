/// An image size: height and width in pixels.
public struct ImageSize: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Rows.
    public let height: Int
    /// Columns.
    public let width: Int

    /// - Parameters:
    ///   - height: rows.
    ///   - width: columns.
    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }

    /// `HxW`, e.g. `224x224`.
    public var description: String { "\(height)x\(width)" }
}

/// A checkpoint's model config as the facade shows it: every `ViTConfig` field (`depth`, `embedDim`,
/// `numHeads`, `inChannels`, `numClasses`, …) plus `imageSize` and `patchSize` as height/width pairs.
///
/// `vit` is the underlying `ViTConfig` (the value ViTKit's writers embed as JSON).
@dynamicMemberLookup
public struct ModelConfig: Sendable, Equatable, CustomStringConvertible {
    /// The full config.
    public let vit: ViTConfig

    /// - Parameter vit: a validated config.
    public init(_ vit: ViTConfig) { self.vit = vit }

    /// Any `ViTConfig` field, e.g. `config.depth`, `config.embedDim`, `config.inChannels`.
    public subscript<T>(dynamicMember keyPath: KeyPath<ViTConfig, T>) -> T { vit[keyPath: keyPath] }

    /// The image size the model was trained at (its position embedding's grid times the patch size).
    public var imageSize: ImageSize { ImageSize(height: vit.imageSize[0], width: vit.imageSize[1]) }
    /// The patch size.
    public var patchSize: ImageSize { ImageSize(height: vit.patchSize[0], width: vit.patchSize[1]) }
    /// Width of the model's output: the classes, or the embedding width for a model without a head.
    public var outputWidth: Int { vit.numClasses > 0 ? vit.numClasses : vit.embedDim }

    public var description: String {
        "ViT depth \(vit.depth), width \(vit.embedDim), \(vit.numHeads) heads, image \(imageSize), patch \(patchSize), "
            + "\(vit.inChannels) channels, " + (vit.numClasses > 0 ? "\(vit.numClasses) classes" : "embedding output")
    }
}
