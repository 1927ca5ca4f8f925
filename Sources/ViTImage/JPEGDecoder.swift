import CJPEG

/// Decodes JPEG files with libjpeg-turbo (islow DCT, fancy upsampling: Pillow's defaults, so the pixels match
/// `Image.open(f).convert("RGB")`).
public enum JPEGDecoder {
    /// The stored size, from the header alone.
    public static func size(_ bytes: UnsafeRawBufferPointer, file: String) throws -> (width: Int, height: Int) {
        let info = try header(bytes, file: file, scaleDenom: 1)
        return (Int(info.width), Int(info.height))
    }

    /// Decodes to RGB. Grey is replicated; CMYK and YCCK (Adobe, stored inverted as Photoshop writes them) are
    /// converted as Pillow converts CMYK to RGB (R = (255 − K) − C·(255 − K)/255 in its rounding).
    /// - Parameters:
    ///   - scaleDenom: 1, 2, 4 or 8: libjpeg's DCT scaling (a smaller, not Pillow-exact image; 1 is exact).
    ///   - maxPixels: refuse headers claiming more pixels than this, before allocating.
    /// - Throws: `ImageError.tooLarge`, `.truncated`, `.corrupt`, `.unsupported`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, file: String, maxPixels: Int, scaleDenom: Int = 1) throws -> RGBImage {
        let info = try header(bytes, file: file, scaleDenom: scaleDenom)
        let w = Int(info.width), h = Int(info.height)
        guard w > 0, h > 0 else { throw ImageError.corrupt(file: file, format: "JPEG", message: "image of \(w)x\(h)") }
        guard w * h <= maxPixels else { throw ImageError.tooLarge(file: file, width: w, height: h, limit: maxPixels) }
        let cmyk: Bool
        switch J_COLOR_SPACE(rawValue: UInt32(info.colorSpace)) {
        case JCS_GRAYSCALE, JCS_YCbCr, JCS_RGB: cmyk = false
        case JCS_CMYK, JCS_YCCK: cmyk = true
        default:
            throw ImageError.unsupported(file: file, what: "JPEG with \(info.components) colour components in colour space "
                                         + "\(info.colorSpace) is not decoded (expected grey, YCbCr, RGB, CMYK or YCCK)")
        }
        let ow = Int(info.outputWidth), oh = Int(info.outputHeight), channels = cmyk ? 4 : 3
        var message = [CChar](repeating: 0, count: Int(JMSG_LENGTH_MAX))
        var failed: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: ow * oh * channels) { buffer, count in
            failed = vitkit_jpeg_decode(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt(bytes.count),
                                        Int32(scaleDenom), Int32(channels), buffer.baseAddress, buffer.count, &message)
            count = failed == 0 ? buffer.count : 0
        }
        if failed != 0 { throw error(message, file: file) }
        if !cmyk { return RGBImage(width: ow, height: oh, pixels: pixels) }
        return RGBImage(width: ow, height: oh, pixels: cmykToRGB(pixels, inverted: info.adobe != 0))
    }

    /// Pillow's CMYK → RGB (`cmyk2rgb`: `nk − MULDIV255(C, nk)` with `nk = 255 − K`); Adobe files store the inks
    /// inverted (Pillow's "CMYK;I").
    static func cmykToRGB(_ p: [UInt8], inverted: Bool) -> [UInt8] {
        let n = p.count / 4
        var out = [UInt8](repeating: 0, count: n * 3)
        for i in 0..<n {
            func ink(_ c: Int) -> Int { inverted ? 255 - Int(p[4 * i + c]) : Int(p[4 * i + c]) }
            let nk = 255 - ink(3)
            for c in 0..<3 {
                let t = ink(c) * nk + 128
                out[3 * i + c] = UInt8(clamping: nk - (((t >> 8) + t) >> 8))
            }
        }
        return out
    }

    /// `cmykToRGB` for tests.
    public static func cmykToRGBForTesting(_ p: [UInt8], inverted: Bool) -> [UInt8] { cmykToRGB(p, inverted: inverted) }

    static func header(_ bytes: UnsafeRawBufferPointer, file: String, scaleDenom: Int) throws -> vitkit_jpeg_info {
        guard [1, 2, 4, 8].contains(scaleDenom) else {
            throw ImageError.badRequest(file: file, message: "JPEG scale 1/\(scaleDenom): expected 1/1, 1/2, 1/4 or 1/8")
        }
        var info = vitkit_jpeg_info()
        var message = [CChar](repeating: 0, count: Int(JMSG_LENGTH_MAX))
        let failed = vitkit_jpeg_header(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt(bytes.count),
                                        Int32(scaleDenom), &info, &message)
        if failed != 0 { throw error(message, file: file) }
        return info
    }

    /// libjpeg's message as `.truncated` (premature end of data) or `.corrupt`.
    static func error(_ message: [CChar], file: String) -> ImageError {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.contains("Premature end") || text.contains("Empty input") {
            return .truncated(file: file, format: "JPEG", message: text)
        }
        return .corrupt(file: file, format: "JPEG", message: text)
    }
}
