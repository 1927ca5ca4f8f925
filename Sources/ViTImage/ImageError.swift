/// Errors decoding or preprocessing an image. Every case names the file.
public enum ImageError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file could not be opened or read.
    case io(file: String, message: String)
    /// The bytes are neither a JPEG nor a PNG (by their signature).
    case unknownFormat(file: String)
    /// The header claims more pixels than the limit; refused before anything is allocated.
    case tooLarge(file: String, width: Int, height: Int, limit: Int)
    /// The file ends before the image data does.
    case truncated(file: String, format: String, message: String)
    /// The decoder refused the data (bad markers, bad CRC, bad Huffman tables, ...).
    case corrupt(file: String, format: String, message: String)
    /// A valid file of a kind ViTKit does not decode (e.g. a 2-component JPEG).
    case unsupported(file: String, what: String)
    /// The image is smaller than the model needs (e.g. than one patch).
    case tooSmall(file: String, width: Int, height: Int, minimum: Int, reason: String)
    /// Images of one batch end up at different sizes.
    case sizeMismatch(file: String, width: Int, height: Int, expectedWidth: Int, expectedHeight: Int)
    /// A preprocessing step was asked for something it cannot do (names the step).
    case badRequest(file: String, message: String)

    public var description: String {
        switch self {
        case let .io(f, m): return "\(f): \(m)"
        case let .unknownFormat(f):
            return "\(f): not a JPEG or PNG image (expected the signature FF D8 FF or 89 50 4E 47); convert it to JPEG or PNG first"
        case let .tooLarge(f, w, h, l):
            return "\(f): image of \(w)x\(h) = \(w * h) pixels exceeds the limit of \(l) pixels; refused before decoding "
                + "(shrink the image, or raise the limit with --max-pixels)"
        case let .truncated(f, fmt, m): return "\(f): \(fmt) file is truncated (\(m)); the image data ends early"
        case let .corrupt(f, fmt, m): return "\(f): corrupt \(fmt) data: \(m)"
        case let .unsupported(f, w): return "\(f): \(w)"
        case let .tooSmall(f, w, h, m, r): return "\(f): image of \(w)x\(h) is smaller than \(m) pixels on a side (\(r))"
        case let .sizeMismatch(f, w, h, ew, eh):
            return "\(f): preprocessed to \(w)x\(h), but the batch's first image is \(ew)x\(eh); every image of a batch must "
                + "end up the same size (resize them, or run them separately)"
        case let .badRequest(f, m): return "\(f): \(m)"
        }
    }
}
