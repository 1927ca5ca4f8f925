import Foundation
import ViTImage
import ViTTensor

/// Decodes and preprocesses image files into one float32 NCHW batch.
public enum ImageBatchLoader {
    /// The image files of `inputs`: files as given, folders expanded to their JPEG and PNG files (by signature,
    /// sorted by name; other files skipped).
    public static func expand(_ inputs: [String]) throws -> [String] {
        var files: [String] = []
        for path in inputs {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw ImageError.io(file: path, message: "no such file or folder")
            }
            if !isDir.boolValue { files.append(path); continue }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            let images = names.sorted().map { (path as NSString).appendingPathComponent($0) }.filter { ImageDecoder.isImage(path: $0) }
            guard !images.isEmpty else { throw ImageError.io(file: path, message: "folder holds no JPEG or PNG image") }
            files += images
        }
        return files
    }

    /// The preprocessed batch of `files`.
    /// - Parameters:
    ///   - minimumSide: refuse images with a side shorter than this (the model's patch size).
    ///   - expectedSize: the model's input [height, width]; every image must end up this size.
    /// - Throws: `ImageError` naming the file.
    public static func load(_ files: [String], preprocessing: Preprocessing, minimumSide: Int, expectedSize: [Int],
                            maxPixels: Int = ImageDecoder.defaultMaxPixels) throws -> Tensor {
        var values: [Float] = []
        for file in files {
            let image = preprocessing.flattened(try ImageDecoder.decode(path: file, maxPixels: maxPixels))
            guard image.width >= minimumSide, image.height >= minimumSide else {
                throw ImageError.tooSmall(file: file, width: image.width, height: image.height, minimum: minimumSide,
                                          reason: "one patch of the model is \(minimumSide) pixels; such an image holds no detail to resize up")
            }
            let pipeline = preprocessing.pipeline(width: image.width, height: image.height)
            let out = pipeline.geometry(image)
            guard [out.height, out.width] == expectedSize else {
                throw ImageError.sizeMismatch(file: file, width: out.width, height: out.height,
                                              expectedWidth: expectedSize[1], expectedHeight: expectedSize[0])
            }
            values += pipeline.tensorValues(out)
        }
        return try Tensor(shape: [files.count, 3, expectedSize[0], expectedSize[1]], float32: values)
    }
}
