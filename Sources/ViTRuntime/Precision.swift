/// The number format of the forward pass's products.
public enum Precision: String, Sendable, CaseIterable {
    /// Float32 throughout: the reference results (within 1e-4 relative of timm).
    case fp32
    /// The transformer blocks' weights held in bfloat16, and their products (qkv, proj, fc1, fc2) and
    /// attention's two products (q·kᵀ, p·v) computed from bfloat16 inputs with Float32 accumulation and
    /// output, by AVX512_BF16 dot products. Patch embedding, softmax, norms and head stay Float32.
    /// Outputs are within about 1e-2 relative of `fp32`. On a CPU without AVX512_BF16 the products run in
    /// fp32 (see `VisionTransformer.precisionNote`).
    case bf16
    /// f16 storage: the transformer blocks' weights held in IEEE half precision (half the memory and memory
    /// traffic of the packed Float32 weights), widened to Float32 as the AVX-512 kernels load them; inputs,
    /// products, accumulation and everything else stay Float32. Outputs are within about 1e-3 relative of
    /// `fp32` (the weights' rounding). Without AVX-512 the products run on Float32 weights (see
    /// `VisionTransformer.precisionNote`).
    case f16
}
