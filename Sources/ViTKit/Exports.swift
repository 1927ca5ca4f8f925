// The ViTKit module: one import for the whole public API.
//
// `import ViTKit` brings the facade (`Checkpoint`, `Model`, `CheckpointOptions`, `CheckpointReport`) and every
// lower module's public types: tensors and dtypes (ViTTensor), the config and canonical layout (ViTModel), the
// forward pass (ViTRuntime), conventions and mapping (ViTMapping), format detection (ViTFormats), conversion
// (ViTConvert), statistics (ViTInspect), image decoding (ViTImage) and each checkpoint's preprocessing
// (ViTPreprocess). The figures library (ViTPlot, on cairo) is left out.
@_exported import ViTTensor
@_exported import ViTModel
@_exported import ViTRuntime
@_exported import ViTMapping
@_exported import ViTFormats
@_exported import ViTConvert
@_exported import ViTInspect
@_exported import ViTImage
@_exported import ViTPreprocess
