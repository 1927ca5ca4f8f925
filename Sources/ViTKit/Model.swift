/// A runnable Vision Transformer: call it on a batch of images.
///
/// Immutable and `Sendable`; concurrent calls are safe (each call uses its own scratch memory).
public final class Model: Sendable {
    /// The forward pass.
    public let transformer: VisionTransformer

    /// - Parameter transformer: a model over checked weights.
    public init(_ transformer: VisionTransformer) { self.transformer = transformer }

    /// The model's config.
    public var config: ModelConfig { ModelConfig(transformer.config) }

    /// Set when the precision asked for has no kernels on this CPU and the products run in fp32 instead.
    public var precisionNote: String? { transformer.precisionNote }

    /// The input shape for `batch` images: [batch, channels, height, width].
    public func inputShape(batch: Int) -> [Int] { transformer.inputShape(batch: batch) }

    /// Runs a batch of images.
    /// - Parameter images: [N, C, H, W] images of any floating-point dtype, normalised as the model expects.
    /// - Returns: float32 [N, classes] logits, or [N, width] pooled embeddings for a model without a head.
    /// - Throws: `ViTModelError` for a wrong shape, dtype or an empty batch.
    public func callAsFunction(_ images: Tensor) throws -> Tensor { try transformer.forward(images) }
}
