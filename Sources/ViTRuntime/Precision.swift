/// The number format of the forward pass's products.
public enum Precision: String, Sendable, CaseIterable {
    /// Float32 throughout: the reference results (within 1e-4 relative of timm).
    case fp32
    /// The transformer blocks' weights held in bfloat16 and their products (qkv, proj, fc1, fc2)
    /// computed from bfloat16 inputs and weights with Float32 accumulation and output, by oneDNN
    /// (AVX512_BF16 dot products where the CPU has them). Patch embedding, attention, norms and head
    /// stay Float32. Outputs are within about 1e-2 relative of `fp32`.
    case bf16
}
