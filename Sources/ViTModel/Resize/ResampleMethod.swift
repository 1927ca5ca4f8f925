/// The interpolation kernel of a position-embedding resize (PyTorch `F.interpolate` modes).
public enum PosEmbedInterpolation: String, Sendable, CaseIterable, Codable {
    /// Bilinear: a triangle filter (2 taps without antialias).
    case bilinear
    /// Bicubic: Keys cubic convolution, a = −0.75 without antialias, a = −0.5 with it (as PyTorch).
    case bicubic
}

/// A complete set of interpolation settings, with presets for the code paths that resize position
/// embeddings in the reference libraries (see docs/resize.md, "Who resizes how").
public struct ResampleMethod: Sendable, Equatable, Hashable {
    /// The kernel.
    public var mode: PosEmbedInterpolation
    /// PyTorch `antialias=`: widen the kernel when downscaling and renormalise at the borders.
    public var antialias: Bool
    /// PyTorch `align_corners=`.
    public var alignCorners: Bool

    /// Creates a method from its three settings.
    public init(mode: PosEmbedInterpolation, antialias: Bool, alignCorners: Bool = false) {
        self.mode = mode
        self.antialias = antialias
        self.alignCorners = alignCorners
    }

    /// timm `checkpoint_filter_fn`, `resample_abs_pos_embed` defaults and `dynamic_img_size`:
    /// bicubic, antialias, align_corners False.
    public static let timm = ResampleMethod(mode: .bicubic, antialias: true, alignCorners: false)
    /// timm `_load_weights` for original JAX `.npz` checkpoints: bilinear, no antialias.
    public static let timmNpz = ResampleMethod(mode: .bilinear, antialias: false, alignCorners: false)
    /// Hugging Face `ViTEmbeddings.interpolate_pos_encoding`: bicubic, no antialias, align_corners False.
    public static let huggingFace = ResampleMethod(mode: .bicubic, antialias: false, alignCorners: false)
    /// torchvision `interpolate_embeddings` (default mode): bicubic, no antialias, align_corners True.
    public static let torchvision = ResampleMethod(mode: .bicubic, antialias: false, alignCorners: true)
}
