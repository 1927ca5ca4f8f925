import ViTNumpy
import ViTTensor

/// Loads the image batch, refusing anything but little-endian C-order float32 NCHW.
enum ImageBatch {
    static func load(_ path: String) throws -> Tensor {
        let npy = try NpyFile(path: path)
        let h = npy.header
        guard h.dtype == .f32, !h.bigEndian, !h.fortranOrder, h.shape.count == 4 else {
            throw NpyError.unexpectedArray(
                file: path, expected: "little-endian C-order float32 NCHW images ('<f4', 4 dimensions)",
                found: "'\(h.descr)'\(h.fortranOrder ? " Fortran order" : "") with shape \(Shape.describe(h.shape))")
        }
        return npy.tensor
    }
}
