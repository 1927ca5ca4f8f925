import ViTTensor

/// Opens JPEG and PNG files (told apart by their signature, not their name).
public enum ImageDecoder {
    /// The default pixel limit: Pillow's `Image.MAX_IMAGE_PIXELS` (89,478,485, about 9459×9459), above which
    /// a header is refused before anything is allocated.
    public static let defaultMaxPixels = 89_478_485

    /// The container kinds.
    public enum Format: String, Sendable { case jpeg = "JPEG", png = "PNG" }

    /// The format of `bytes` by signature, or nil.
    public static func format(of bytes: UnsafeRawBufferPointer) -> Format? {
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
        if bytes.count >= 8, Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        return nil
    }

    /// Whether `path` starts with a JPEG or PNG signature (false when it cannot be read).
    public static func isImage(path: String) -> Bool {
        guard let s = try? ByteStorage(mapping: path) else { return false }
        return format(of: s.bytes) != nil
    }

    /// Decodes the image in `bytes` to RGB, turned upright by its EXIF orientation when `applyOrientation`;
    /// a PNG's transparency is kept in `alpha` (JPEG has none).
    /// - Throws: `ImageError` naming `file`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, file: String, maxPixels: Int = defaultMaxPixels,
                              applyOrientation: Bool = true) throws -> RGBImage {
        switch format(of: bytes) {
        case .jpeg?:
            let image = try JPEGDecoder.decode(bytes, file: file, maxPixels: maxPixels)
            guard applyOrientation, let o = ExifOrientation.read(jpeg: bytes) else { return image }
            return ExifOrientation.apply(o, to: image)
        case .png?:
            let image = try PNGDecoder.decode(bytes, file: file, maxPixels: maxPixels)
            guard applyOrientation, let o = PNGDecoder.orientation(bytes, file: file) else { return image }
            return ExifOrientation.apply(o, to: image)
        case nil:
            throw ImageError.unknownFormat(file: file)
        }
    }

    /// Reads and decodes the file at `path`.
    public static func decode(path: String, maxPixels: Int = defaultMaxPixels, applyOrientation: Bool = true) throws -> RGBImage {
        let storage: ByteStorage
        do { storage = try ByteStorage(mapping: path) } catch {
            throw ImageError.io(file: path, message: "cannot read the image: \(error)")
        }
        return try decode(storage.bytes, file: path, maxPixels: maxPixels, applyOrientation: applyOrientation)
    }
}
