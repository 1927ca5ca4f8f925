import ViTImage

/// How images become a model's input: resize, centre crop, rescale, normalise — resolved from the checkpoint's own
/// config (see `PreprocessingResolver`) and written into converted files as JSON (metadata key
/// `vitkit_preprocessing`, see docs/images.md).
public struct Preprocessing: Codable, Equatable, Sendable {
    /// How the image is resized before cropping.
    public enum ResizeMode: String, Codable, Sendable {
        /// To exactly `resizeSize` (Hugging Face `size: {height, width}`; timm `crop_mode: squash`).
        case exact
        /// Shorter side to `resizeSize[0]`, the other side `floor(size · long / short)` (torchvision `Resize(int)`,
        /// Hugging Face `shortest_edge`).
        case shorter
        /// timm `ResizeKeepRatio`: both sides divided by `min(H / h, W / w)` and rounded half to even
        /// (timm's non-square `crop_mode: center`).
        case keepRatio = "keep_ratio"
        /// No resize.
        case none
    }

    public var resizeMode: ResizeMode
    /// [height, width] (for `.shorter`, both the shorter side's size).
    public var resizeSize: [Int]
    /// The resampling filter (Pillow's).
    public var interpolation: ResampleFilter
    /// The centre crop [height, width], if any.
    public var cropSize: [Int]?
    /// Where an odd crop margin goes: torchvision rounds half to even and pads; Hugging Face floors.
    public var cropPlacement: ImagePipeline.CropPlacement
    /// 0...255 → model range multiplier (nil: no rescale).
    public var rescaleFactor: Double?
    /// Per-channel mean and std (nil: no normalisation).
    public var mean: [Double]?
    public var std: [Double]?
    /// Transparency: nil or `.drop` keeps the colours (Pillow's `convert("RGB")`, as timm loads images);
    /// `.white` composites onto white (transformers' `convert_rgb`, when `do_convert_rgb` is set).
    public var alpha: AlphaHandling?
    /// Where these values came from, for people (e.g. "preprocessor_config.json (CLIPImageProcessor)").
    public var source: String

    /// What happens to an image's transparency.
    public enum AlphaHandling: String, Codable, Sendable { case drop, white }

    enum CodingKeys: String, CodingKey {
        case resizeMode = "resize_mode", resizeSize = "resize_size", interpolation, cropSize = "crop_size",
             cropPlacement = "crop_placement", rescaleFactor = "rescale_factor", mean, std, alpha, source
    }

    /// The image with its transparency handled.
    public func flattened(_ image: RGBImage) -> RGBImage {
        alpha == .white ? image.compositedOnWhite() : image.droppingAlpha()
    }

    public init(resizeMode: ResizeMode, resizeSize: [Int], interpolation: ResampleFilter, cropSize: [Int]?,
                cropPlacement: ImagePipeline.CropPlacement, rescaleFactor: Double?, mean: [Double]?, std: [Double]?,
                source: String) {
        self.resizeMode = resizeMode
        self.resizeSize = resizeSize
        self.interpolation = interpolation
        self.cropSize = cropSize
        self.cropPlacement = cropPlacement
        self.rescaleFactor = rescaleFactor
        self.mean = mean
        self.std = std
        self.source = source
    }

    /// The geometric steps for an image of `width × height` (keep-ratio resizing depends on the image).
    public func pipeline(width: Int, height: Int) -> ImagePipeline {
        var steps: [ImagePipeline.Step] = []
        switch resizeMode {
        case .exact: steps.append(.resize(width: resizeSize[1], height: resizeSize[0], filter: interpolation))
        case .shorter: steps.append(.resizeShorter(size: resizeSize[0], filter: interpolation))
        case .keepRatio:
            let ratio = min(Double(height) / Double(resizeSize[0]), Double(width) / Double(resizeSize[1]))
            let h = Int((Double(height) / ratio).rounded(.toNearestOrEven))
            let w = Int((Double(width) / ratio).rounded(.toNearestOrEven))
            steps.append(.resize(width: max(1, w), height: max(1, h), filter: interpolation))
        case .none: break
        }
        if let c = cropSize { steps.append(.centerCrop(width: c[1], height: c[0], placement: cropPlacement)) }
        return ImagePipeline(steps: steps, rescaleFactor: rescaleFactor ?? 1, mean: mean, std: std)
    }

    /// The output [height, width] when it does not depend on the image (a crop or an exact resize), else nil.
    public var fixedOutputSize: [Int]? {
        if let c = cropSize { return c }
        return resizeMode == .exact ? resizeSize : nil
    }

    /// One line for people: `resize shorter side to 36 (bicubic), centre crop 32x32, rescale 1/255, mean [...] std [...]`.
    public var summary: String {
        var parts: [String] = []
        switch resizeMode {
        case .exact: parts.append("resize to \(resizeSize[0])x\(resizeSize[1]) (\(interpolation.rawValue))")
        case .shorter: parts.append("resize shorter side to \(resizeSize[0]) (\(interpolation.rawValue))")
        case .keepRatio: parts.append("resize keeping the ratio to cover \(resizeSize[0])x\(resizeSize[1]) (\(interpolation.rawValue))")
        case .none: parts.append("no resize")
        }
        if let c = cropSize { parts.append("centre crop \(c[0])x\(c[1]) (\(cropPlacement.rawValue) placement)") }
        if let r = rescaleFactor { parts.append(abs(r - 1.0 / 255.0) < 1e-12 ? "rescale 1/255" : "rescale \(r)") }
        if let m = mean, let s = std { parts.append("normalise mean \(m) std \(s)") }
        if alpha == .white { parts.append("transparency composited on white") }
        return parts.joined(separator: ", ")
    }
}

extension ImagePipeline.CropPlacement: Codable {}
extension ResampleFilter: Codable {}
