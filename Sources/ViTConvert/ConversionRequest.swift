import Foundation
import ViTMapping
import ViTModel
import ViTTensor

/// A new image size for the converted model: the patch part of `pos_embed` is resampled on its 2-D grid.
public struct ResizeRequest: Sendable, Equatable {
    /// The new image (height, width) in pixels; each must be a whole number of patches.
    public var imageSize: [Int]
    /// The interpolation settings (kernel, antialias, align_corners).
    public var method: ResampleMethod

    /// - Parameters:
    ///   - imageSize: the new (height, width).
    ///   - method: the interpolation; `.timm` is what timm does when it loads a checkpoint at a new size
    ///     (bicubic, antialias).
    public init(imageSize: [Int], method: ResampleMethod) {
        self.imageSize = imageSize
        self.method = method
    }
}

/// Everything one conversion needs.
public struct ConversionRequest: Sendable {
    /// The checkpoint to read: any file or folder ViTKit reads.
    public var input: String
    /// The file to write; its extension picks the format (see `OutputFormat`).
    public var output: String
    /// How to read the input (forced convention, heads, source image size, eps, unused tensors).
    public var mapping: MappingOptions
    /// A new image size, or nil to keep the model's.
    public var resize: ResizeRequest?
    /// The dtype to store every tensor in (F32, F16 or BF16), or nil to keep each tensor's stored
    /// dtype (F64 becomes F32).
    public var dtype: DType?
    /// Replace an existing output.
    public var overwrite: Bool
    /// Checked between tensors; once cancelled the conversion stops and writes nothing.
    public var cancellation: Cancellation?

    /// - Parameters:
    ///   - input: the checkpoint to read.
    ///   - output: the file to write (`.bin`, `.safetensors` or `.h5`).
    ///   - mapping: mapping options.
    ///   - resize: a new image size, or nil.
    ///   - dtype: the output dtype, or nil to keep the stored ones.
    ///   - overwrite: replace an existing output.
    ///   - cancellation: a flag to stop the conversion from another thread (e.g. a signal handler).
    public init(input: String, output: String, mapping: MappingOptions = MappingOptions(), resize: ResizeRequest? = nil,
                dtype: DType? = nil, overwrite: Bool = false, cancellation: Cancellation? = nil) {
        self.input = input
        self.output = output
        self.mapping = mapping
        self.resize = resize
        self.dtype = dtype
        self.overwrite = overwrite
        self.cancellation = cancellation
    }
}

/// A flag another thread sets to stop a conversion between two tensors.
public final class Cancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false

    public init() {}

    /// Asks the conversion to stop; it throws `ConvertError.cancelled` before writing the next tensor.
    public func cancel() {
        lock.lock()
        flag = true
        lock.unlock()
    }

    /// True once `cancel()` was called.
    public var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return flag
    }
}
