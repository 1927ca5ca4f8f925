import Foundation
import ViTMapping
import ViTModel
import ViTTensor

/// What a position-embedding resize did.
public struct ResizeSummary: Sendable, Equatable {
    /// The image size before and after.
    public let oldImageSize: [Int], newImageSize: [Int]
    /// The patch grid (rows, columns) before and after.
    public let oldGrid: [Int], newGrid: [Int]
    /// Rows of `pos_embed` kept as they are (class, distillation, register tokens; 0 with `no_embed_class`).
    public let prefixRows: Int
    /// The interpolation used.
    public let method: ResampleMethod

    /// `4x4 -> 6x6 grid (32x32 -> 48x48 px), bicubic, antialias, 1 prefix row kept`.
    public var text: String {
        var s = "pos_embed grid \(oldGrid[0])x\(oldGrid[1]) -> \(newGrid[0])x\(newGrid[1])"
            + " (image \(oldImageSize[0])x\(oldImageSize[1]) -> \(newImageSize[0])x\(newImageSize[1])), \(method.mode.rawValue)"
        if method.antialias { s += ", antialias" }
        if method.alignCorners { s += ", align_corners" }
        return s + ", \(prefixRows) prefix row\(prefixRows == 1 ? "" : "s") kept"
    }
}

/// What a finished conversion wrote.
public struct ConversionReport: Sendable {
    /// The input as given.
    public let input: String
    /// The output written.
    public let output: String
    /// The output format.
    public let format: OutputFormat
    /// The config embedded in the output (with the new image size after a resize).
    public let config: ViTConfig
    /// How the input was understood (convention, heads, notes).
    public let mapping: InferenceReport
    /// Number of tensors written.
    public let tensorCount: Int
    /// Size of the output file in bytes.
    public let bytesWritten: Int
    /// The distinct dtypes written.
    public let dtypes: [DType]
    /// The resize, when one was asked for.
    public let resize: ResizeSummary?
    /// The metadata written (safetensors `__metadata__`, HDF5 root attributes, `.bin` metadata).
    public let metadata: [String: String]
    /// Wall time of the whole conversion, in seconds.
    public let seconds: Double
    /// The part of `seconds` spent syncing the output to disk and renaming it into place.
    public let syncSeconds: Double

    /// One line: `wrote OUT: 152 tensors, 343.2 MB, safetensors, f32, 0.41 s (0.12 s syncing to disk)`.
    public var summary: String {
        let mb = Double(bytesWritten) / 1_000_000
        let size = mb >= 10 ? String(format: "%.1f MB", mb) : String(format: "%.3f MB", mb)
        return "wrote \(output): \(tensorCount) tensors, \(size), \(format.rawValue), "
            + dtypes.map(\.shortName).joined(separator: "+")
            + String(format: ", %.2f s (%.2f s syncing to disk)", seconds, syncSeconds)
    }
}

/// Progress of a running conversion, reported after each tensor.
public struct ConversionProgress: Sendable, Equatable {
    /// Tensors written so far, and in all.
    public let tensorsDone: Int, tensorCount: Int
    /// Output data bytes written so far, and in all.
    public let bytesDone: Int, totalBytes: Int
    /// The tensor just written.
    public let tensor: String

    /// - Parameters:
    ///   - tensorsDone: tensors written so far.
    ///   - tensorCount: tensors in all.
    ///   - bytesDone: data bytes written so far.
    ///   - totalBytes: data bytes in all.
    ///   - tensor: the tensor just written.
    public init(tensorsDone: Int, tensorCount: Int, bytesDone: Int, totalBytes: Int, tensor: String) {
        self.tensorsDone = tensorsDone
        self.tensorCount = tensorCount
        self.bytesDone = bytesDone
        self.totalBytes = totalBytes
        self.tensor = tensor
    }

    /// The fraction done, 0…1 (by bytes).
    public var fraction: Double { totalBytes > 0 ? Double(bytesDone) / Double(totalBytes) : Double(tensorsDone) / Double(max(tensorCount, 1)) }

    /// A one-line bar for a terminal: `[#########           ]  45%  157/350 MB  blocks.5.mlp.fc1.weight`.
    /// - Parameter width: the bar's inner width in characters.
    public func bar(width: Int = 30) -> String {
        let f = min(max(fraction, 0), 1)
        let filled = Int((f * Double(width)).rounded(.down))
        let percent = String(format: "%3d%%", Int((f * 100).rounded(.down)))
        let mb = String(format: "%.0f/%.0f MB", Double(bytesDone) / 1_000_000, Double(totalBytes) / 1_000_000)
        return "[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] "
            + percent + "  " + mb + "  " + tensor
    }
}
