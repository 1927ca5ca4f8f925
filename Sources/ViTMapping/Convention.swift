/// A naming convention for ViT checkpoints. Each maps onto the canonical timm layout through its own table.
///
/// The raw value is the name used on command lines (`--convention NAME`).
public enum Convention: String, CaseIterable, Sendable, Codable {
    /// timm `VisionTransformer` (the canonical layout itself; also ViTKit's own outputs).
    case timm
    /// torchvision `VisionTransformer` (`encoder.layers.encoder_layer_{i}`).
    case torchvision
    /// Hugging Face transformers `ViTModel` / `ViTForImageClassification` (v4 names as `save_pretrained` writes them).
    case hf
    /// lucidrains vit-pytorch `ViT` (1.x; the 0.35-era PreNorm layout too).
    case vitPytorch = "vit-pytorch"
    /// Hand-written on `nn.TransformerEncoderLayer` / `nn.MultiheadAttention` (`layers.{i}.self_attn.in_proj_weight`).
    case torchMHA = "torch-mha"
    /// Hand-written einops style (Linear patch embedding, LayerNorms inside attention and feed-forward modules).
    case einops
    /// Keras 2 / legacy `.h5` with vit-keras (JAX) names, read in `layer_names`/`weight_names` order.
    case kerasLegacy = "keras-legacy"
    /// Keras 3 `.weights.h5` (structural `layers/<class>/vars/<n>` paths, real names in `name` attributes).
    case keras3
    /// Google's original JAX ViT `.npz` (google-research/vision_transformer: `Transformer/encoderblock_{i}`,
    /// `MultiHeadDotProductAttention_1`, `Transformer/posembed_input/pos_embedding`), optionally under `opt/target/`.
    case jax
    /// big_vision JAX ViT `.npz` (top-level `pos_embedding`, `MultiHeadDotProductAttention_0`; unscanned or scanned
    /// with a leading depth axis), optionally under `params/` or `params/img/`.
    case bigVision = "big-vision"
    /// A hand-written PyTorch ViT read by its structure (no table: roles from shapes and module grouping).
    case structural = "structure"
    /// OpenAI CLIP and open_clip (`visual.conv1`, `visual.transformer.resblocks.{i}`, packed `in_proj`, `visual.proj`).
    case openaiCLIP = "openai-clip"
    /// The original facebookresearch DINOv2 (`register_tokens`, `mask_token`, `mlp.w12`/`w3`, chunked blocks,
    /// `teacher.backbone.` training checkpoints).
    case dinov2

    /// A one-line description for help texts.
    public var summary: String {
        switch self {
        case .timm: return "timm VisionTransformer names (canonical)"
        case .torchvision: return "torchvision VisionTransformer"
        case .hf: return "Hugging Face transformers ViT"
        case .vitPytorch: return "lucidrains vit-pytorch ViT"
        case .torchMHA: return "hand-written PyTorch on nn.TransformerEncoderLayer / nn.MultiheadAttention"
        case .einops: return "hand-written einops-style PyTorch"
        case .kerasLegacy: return "Keras 2 / legacy .h5 with vit-keras (JAX) names"
        case .keras3: return "Keras 3 .weights.h5"
        case .jax: return "original JAX ViT .npz (google-research/vision_transformer)"
        case .bigVision: return "big_vision JAX ViT .npz (unscanned or scanned)"
        case .structural: return "hand-written PyTorch, read by structure (roles from shapes and module grouping)"
        case .openaiCLIP: return "OpenAI CLIP / open_clip (visual.*)"
        case .dinov2: return "original facebookresearch DINOv2"
        }
    }

    /// True for the conventions that need the Keras HDF5 attributes to name their tensors.
    public var isKeras: Bool { self == .kerasLegacy || self == .keras3 }
}
