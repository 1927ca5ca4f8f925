/// An 8-bit RGB image, rows top to bottom, pixels interleaved (R, G, B), no padding.
public struct RGBImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `height × width × 3` bytes.
    public var pixels: [UInt8]
    /// The decoded alpha plane (`height × width`), when the file had transparency; resizing and cropping drop it,
    /// so flatten it first (`droppingAlpha()` or `compositedOnWhite()`).
    public var alpha: [UInt8]?

    /// An image from its pixels (`pixels.count` must be `width × height × 3`).
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "RGBImage: \(pixels.count) bytes for \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The colours alone (Pillow's `convert("RGB")` of an image with alpha: the alpha is dropped).
    public func droppingAlpha() -> RGBImage { RGBImage(width: width, height: height, pixels: pixels) }

    /// The image over an opaque white background, as transformers' `convert_rgb` does for images with
    /// transparency (`Image.alpha_composite(white, rgba)` then RGB, with Pillow's 7-bit fixed-point blend).
    public func compositedOnWhite() -> RGBImage {
        guard let alpha else { return self }
        var out = pixels
        for i in 0..<(width * height) {
            let a = UInt32(alpha[i])
            if a == 255 { continue }
            if a == 0 { out[3 * i] = 255; out[3 * i + 1] = 255; out[3 * i + 2] = 255; continue }
            // Pillow AlphaComposite.c with dst = opaque white: outa255 = 255·255
            let coef1 = a * 255 * 255 * (1 << 7) / (255 * 255)
            let coef2 = 255 * (1 << 7) - coef1
            for c in 0..<3 {
                let t = UInt32(pixels[3 * i + c]) * coef1 + 255 * coef2 + (0x80 << 7)
                out[3 * i + c] = UInt8((((t >> 8) + t) >> 8) >> 7)
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
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
