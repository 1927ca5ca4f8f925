import CPNG

/// Decodes PNG files with libpng to 8-bit RGB as Pillow's `convert("RGB")` does: palette looked up, grey
/// replicated, alpha and tRNS transparency dropped (not composited), 16-bit samples cut to their high byte, no
/// gamma or colour-profile conversion. (Pillow differs on one kind: 16-bit greyscale, which it opens as "I;16" and
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

    /// Decodes to RGB.
    /// - Parameter maxPixels: refuse headers claiming more pixels than this, before allocating.
    /// - Throws: `ImageError.tooLarge`, `.truncated`, `.corrupt`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, file: String, maxPixels: Int) throws -> RGBImage {
        var info = try info(bytes, file: file)
        let w = Int(info.width), h = Int(info.height)
        guard w * h <= maxPixels else { throw ImageError.tooLarge(file: file, width: w, height: h, limit: maxPixels) }
        var message = [CChar](repeating: 0, count: Int(VITKIT_PNG_MESSAGE_LENGTH))
        var failed: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: w * h * 3) { buffer, count in
            buffer.initialize(repeating: 0)
            failed = vitkit_png_run(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, &info,
                                    buffer.baseAddress, buffer.count, &message)
            count = buffer.count
        }
        if failed != 0 { throw error(message, file: file) }
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    static func error(_ message: [CChar], file: String) -> ImageError {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.contains("truncated") || text.contains("Not enough image data") {
            return .truncated(file: file, format: "PNG", message: text)
        }
        return .corrupt(file: file, format: "PNG", message: text)
    }
}
