import ViTMapping
import ViTTensor

/// Everything one export needs (`vit-convert IN OUT --to LAYOUT`).
public struct ExportRequest: Sendable {
    /// The checkpoint to read: any file or folder ViTKit reads.
    public var input: String
    /// The folder (timm, hf) or file (torchvision `.pth`/`.safetensors`, `.onnx`) to write.
    public var output: String
    /// The target layout.
    public var layout: ExportLayout
    /// How to read the input.
    public var mapping: MappingOptions
    /// The dtype to store every tensor in (F32, F16 or BF16), or nil to keep each tensor's (F64 becomes F32).
    public var dtype: DType?
    /// Replace an existing output.
    public var overwrite: Bool
    /// Checked between steps; once cancelled the export stops and writes nothing.
    public var cancellation: Cancellation?

    public init(input: String, output: String, layout: ExportLayout, mapping: MappingOptions = MappingOptions(),
                dtype: DType? = nil, overwrite: Bool = false, cancellation: Cancellation? = nil) {
        self.cancellation = cancellation
        self.input = input
        self.output = output
        self.layout = layout
        self.mapping = mapping
        self.dtype = dtype
        self.overwrite = overwrite
    }

    /// The layout an output path implies on its own: `.onnx` → ONNX; nil otherwise.
    public static func impliedLayout(of output: String) -> ExportLayout? {
        output.lowercased().hasSuffix(".onnx") ? .onnx : nil
    }
}

/// What an export wrote.
public struct ExportReport: Sendable {
    public let layout: ExportLayout
    /// The class, architecture or graph written.
    public let target: String
    public let output: String
    /// The files written, relative to the output (or the output itself).
    public let files: [String]
    public let tensorCount: Int
    public let notes: [String]
    /// The mapping of the input.
    public let mapping: InferenceReport

    /// One line for the terminal.
    public var summary: String {
        "wrote \(output) (\(layout.rawValue): \(target), \(tensorCount) tensors; \(files.joined(separator: ", ")))"
    }
}
