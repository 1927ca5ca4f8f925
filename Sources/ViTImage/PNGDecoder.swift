import CPNG

/// Decodes PNG files with libpng to 8-bit RGB as Pillow's `convert("RGB")` does: palette looked up, grey
/// replicated, 16-bit samples cut to their high byte, no gamma or colour-profile conversion; alpha (and tRNS
/// transparency) kept apart, for the caller to drop (Pillow's `convert("RGB")`) or composite (transformers'
/// `convert_rgb`). (Pillow differs on one kind: 16-bit greyscale, which it opens as "I;16" and
/// clips to 255 when converting; ViTKit keeps the high byte, the image's actual brightness.)
public enum PNGDecoder {
    /// The header facts.
    public static func info(_ bytes: UnsafeRawBufferPointer, file: String) throws -> vitkit_png_info {
        var info = vitkit_png_info()
        var message = [CChar](repeating: 0, count: Int(VITKIT_PNG_MESSAGE_LENGTH))
        let failed = vitkit_png_run(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, &info, nil, 0, &message)
        if failed != 0 { throw error(message, file: file) }
        return info
    }

    /// Decodes to RGB and the alpha plane (nil when every pixel is opaque).
    /// - Parameter maxPixels: refuse headers claiming more pixels than this, before allocating.
    /// - Throws: `ImageError.tooLarge`, `.truncated`, `.corrupt`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, file: String, maxPixels: Int) throws -> RGBImage {
        var info = try info(bytes, file: file)
        let w = Int(info.width), h = Int(info.height)
        guard w * h <= maxPixels else { throw ImageError.tooLarge(file: file, width: w, height: h, limit: maxPixels) }
        var message = [CChar](repeating: 0, count: Int(VITKIT_PNG_MESSAGE_LENGTH))
        var failed: Int32 = 0
        let rgba = [UInt8](unsafeUninitializedCapacity: w * h * 4) { buffer, count in
            buffer.initialize(repeating: 0)
            failed = vitkit_png_run(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, &info,
                                    buffer.baseAddress, buffer.count, &message)
            count = buffer.count
        }
        if failed != 0 { throw error(message, file: file) }
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        var alpha = [UInt8](repeating: 255, count: w * h)
        var opaque = true
        for i in 0..<(w * h) {
            rgb[3 * i] = rgba[4 * i]; rgb[3 * i + 1] = rgba[4 * i + 1]; rgb[3 * i + 2] = rgba[4 * i + 2]
            alpha[i] = rgba[4 * i + 3]
            if alpha[i] != 255 { opaque = false }
        }
        var image = RGBImage(width: w, height: h, pixels: rgb)
        if !opaque { image.alpha = alpha }
        return image
    }

    /// The EXIF orientation of an eXIf chunk that comes before the image data, or nil.
    public static func orientation(_ bytes: UnsafeRawBufferPointer, file: String) -> Int? {
        guard var info = try? info(bytes, file: file), info.exifLength > 0 else { return nil }
        let n = Int(info.exifLength)
        return withUnsafeBytes(of: &info.exif) { ExifOrientation.tiffOrientation(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }

    static func error(_ message: [CChar], file: String) -> ImageError {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.contains("truncated") || text.contains("Not enough image data") {
            return .truncated(file: file, format: "PNG", message: text)
        }
        return .corrupt(file: file, format: "PNG", message: text)
    }
}
