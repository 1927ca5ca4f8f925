/// An 8-bit RGB image, rows top to bottom, pixels interleaved (R, G, B), no padding.
public struct RGBImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `height × width × 3` bytes.
    public var pixels: [UInt8]

    /// An image from its pixels (`pixels.count` must be `width × height × 3`).
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "RGBImage: \(pixels.count) bytes for \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The `width × height` region whose top-left corner is (`left`, `top`); parts outside the image are black
    /// (zero), as torchvision's `CenterCrop` pads.
    public func cropped(left: Int, top: Int, width w: Int, height h: Int) -> RGBImage {
        var out = [UInt8](repeating: 0, count: w * h * 3)
        let x0 = max(0, left), x1 = min(width, left + w)
        guard x1 > x0 else { return RGBImage(width: w, height: h, pixels: out) }
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in max(0, top)..<min(height, top + h) {
                    let s = (y * width + x0) * 3, d = ((y - top) * w + (x0 - left)) * 3
                    for i in 0..<((x1 - x0) * 3) { dst[d + i] = src[s + i] }
                }
            }
        }
        return RGBImage(width: w, height: h, pixels: out)
    }
}
