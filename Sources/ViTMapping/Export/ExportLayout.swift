/// A library layout `vit-convert --to` writes a model into.
///
/// The raw value is the name used on command lines (`--to NAME`).
public enum ExportLayout: String, CaseIterable, Sendable, Codable {
    /// timm `VisionTransformer`: a folder with `config.json` (architecture, model_args, pretrained_cfg) and
    /// `model.safetensors` in canonical names, for `timm.create_model("local-dir:OUT", pretrained=True)`.
    case timm
    /// Hugging Face transformers: a folder with `config.json` naming the model class, `model.safetensors` in the
    /// names that class loads (`save_pretrained` names), and `preprocessor_config.json`.
    case hf
    /// torchvision `VisionTransformer`: a state dict in `.pth` (torch.save zip) or `.safetensors`.
    case torchvision
    /// An ONNX graph (opset 17) with the weights inside.
    case onnx

    /// The library or runtime that loads the layout.
    public var library: String {
        switch self {
        case .timm: return "timm"
        case .hf: return "transformers"
        case .torchvision: return "torchvision"
        case .onnx: return "ONNX Runtime"
        }
    }

    /// One line for help texts.
    public var summary: String {
        switch self {
        case .timm: return "timm folder: config.json + model.safetensors (timm.create_model(\"local-dir:OUT\", pretrained=True))"
        case .hf: return "transformers folder: config.json + model.safetensors + preprocessor_config.json (from_pretrained(OUT))"
        case .torchvision: return "torchvision VisionTransformer state dict: OUT.pth (torch.save zip) or OUT.safetensors"
        case .onnx: return "ONNX graph, opset 17, dynamic batch, input pixel_values (OUT.onnx)"
        }
    }
}
