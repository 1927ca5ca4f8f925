import Foundation

/// Resize, crop and normalise steps that turn a decoded image into a float32 CHW tensor, each step the exact
/// arithmetic of the library it stands for (torchvision on PIL images for timm, the PIL-based Hugging Face image
/// processors). Knows nothing of models: the steps come from ViTPreprocess.
public struct ImagePipeline: Sendable, Equatable {
    /// One geometric step.
    public enum Step: Sendable, Equatable {
        /// Resize to exactly width × height.
        case resize(width: Int, height: Int, filter: ResampleFilter)
        /// Resize so the shorter side is `size`, the longer `floor(size · long / short)` (torchvision `Resize(int)`
        /// and Hugging Face `shortest_edge`, identical rule).
        case resizeShorter(size: Int, filter: ResampleFilter)
        /// Crop width × height from the centre. `.torchvision` places it at `round((H − h) / 2)` with Python's
        /// round-half-to-even and pads with zeros when the image is smaller; `.huggingFace` at `(H − h) // 2`.
        case centerCrop(width: Int, height: Int, placement: CropPlacement)
    }

    /// Where a centre crop's corner goes when the margin is odd.
    public enum CropPlacement: String, Sendable, Equatable { case torchvision, huggingFace }

    /// The geometric steps, in order.
    public var steps: [Step]
    /// Multiplier from 0...255 to the model's range (1/255 in both libraries).
    public var rescaleFactor: Double
    /// Per-channel mean and std subtracted and divided after rescaling (nil: no normalisation).
    public var mean: [Double]?
    public var std: [Double]?

    public init(steps: [Step], rescaleFactor: Double = 1.0 / 255.0, mean: [Double]?, std: [Double]?) {
        self.steps = steps
        self.rescaleFactor = rescaleFactor
        self.mean = mean
        self.std = std
    }

    /// The resized and cropped 8-bit image.
    public func geometry(_ image: RGBImage) -> RGBImage {
        var img = image
        for step in steps {
            switch step {
            case let .resize(w, h, f):
                img = Resample.resize(img, width: w, height: h, filter: f)
            case let .resizeShorter(size, f):
                let (w, h) = Self.shorterSideSize(width: img.width, height: img.height, size: size)
                img = Resample.resize(img, width: w, height: h, filter: f)
            case let .centerCrop(w, h, placement):
                let (left, top) = Self.cropCorner(width: img.width, height: img.height, cropWidth: w, cropHeight: h, placement)
                img = img.cropped(left: left, top: top, width: w, height: h)
            }
        }
        return img
    }

    /// float32 values in C × H × W order: `(p · rescaleFactor − mean) / std` per channel, in float32 as torchvision's
    /// `Normalize` computes them.
    public func tensorValues(_ image: RGBImage) -> [Float] {
        let n = image.width * image.height
        var out = [Float](repeating: 0, count: 3 * n)
        for c in 0..<3 {
            let m = Float(mean?[c] ?? 0), s = Float(std?[c] ?? 1)
            var table = [Float](repeating: 0, count: 256)
            for v in 0..<256 { table[v] = (Float(Double(v) * rescaleFactor) - m) / s }
            image.pixels.withUnsafeBufferPointer { p in
                out.withUnsafeMutableBufferPointer { o in
                    for i in 0..<n { o[c * n + i] = table[Int(p[i * 3 + c])] }
                }
            }
        }
        return out
    }

    /// torchvision / Hugging Face shortest-edge output size.
    public static func shorterSideSize(width: Int, height: Int, size: Int) -> (Int, Int) {
        if width <= height {
            return (size, Int(Double(size) * Double(height) / Double(width)))
        }
        return (Int(Double(size) * Double(width) / Double(height)), size)
    }

    /// The crop's top-left corner (negative when the crop is larger than the image).
    public static func cropCorner(width: Int, height: Int, cropWidth: Int, cropHeight: Int,
                                  _ placement: CropPlacement) -> (Int, Int) {
        switch placement {
        case .huggingFace:
            return (Int((Double(width - cropWidth) / 2).rounded(.down)), Int((Double(height - cropHeight) / 2).rounded(.down)))
        case .torchvision:
            if cropWidth > width || cropHeight > height {
                // torchvision pads (left (W'−W)//2, right rest) to the crop size, then crops at 0
                let padLeft = cropWidth > width ? (cropWidth - width) / 2 : 0
                let padTop = cropHeight > height ? (cropHeight - height) / 2 : 0
                let w2 = max(width, cropWidth), h2 = max(height, cropHeight)
                let (l, t) = cropCorner(width: w2, height: h2, cropWidth: cropWidth, cropHeight: cropHeight, .torchvision)
                return (l - padLeft, t - padTop)
            }
            let l = (Double(width - cropWidth) / 2).rounded(.toNearestOrEven)
            let t = (Double(height - cropHeight) / 2).rounded(.toNearestOrEven)
            return (Int(l), Int(t))
        }
    }
}
