import ViTModel
import ViTTensor

/// The weights of one Vision Transformer in Float32, checked strictly against the canonical layout.
///
/// Every tensor of `config.canonicalTensors` must be present with exactly its canonical shape, and
/// nothing else may be present. Tensors of any floating-point dtype (F32, F16, BF16, F64, F8) are
/// converted to Float32 once, here, so a half-precision checkpoint runs with its rounded values.
/// The values live in one contiguous allocation that the forward pass reads in place.
public final class ViTWeights: @unchecked Sendable {
    // @unchecked: the storage is written only in `init` and read-only afterwards.

    /// The config the weights were checked against.
    public let config: ViTConfig
    /// Canonical tensor names, in canonical (timm `state_dict()`) order.
    public let names: [String]
    /// Total number of Float32 values.
    public let parameterCount: Int

    let storage: UnsafeMutablePointer<Float>
    private let regions: [String: (offset: Int, shape: [Int])]
    let layout: WeightLayout

    /// Checks `tensors` against the canonical layout of `config` and converts them to Float32.
    /// - Parameters:
    ///   - config: The model config (validated here).
    ///   - tensors: Canonical timm names to tensors.
    /// - Throws: `ViTModelError.invalidConfig` for an inconsistent config; `.missingTensors` (every
    ///   missing name), `.unexpectedTensors` (every extra name), `.nonFloatDType` or `.shapeMismatch`
    ///   (the first offending tensor in canonical order).
    public init(config: ViTConfig, tensors: [String: Tensor]) throws {
        do { try config.validate() } catch let e as ViTConfigError { throw ViTModelError.invalidConfig(e) }
        let expected = config.canonicalTensors
        let expectedNames = Set(expected.map(\.name))
        let missing = expected.map(\.name).filter { tensors[$0] == nil }
        if !missing.isEmpty { throw ViTModelError.missingTensors(missing) }
        let unexpected = tensors.keys.filter { !expectedNames.contains($0) }.sorted()
        if !unexpected.isEmpty { throw ViTModelError.unexpectedTensors(unexpected) }

        var regions: [String: (offset: Int, shape: [Int])] = [:]
        var total = 0
        for c in expected {
            guard let t = tensors[c.name] else { throw ViTModelError.missingTensors([c.name]) }
            guard t.dtype.isFloatingPoint else { throw ViTModelError.nonFloatDType(tensor: c.name, dtype: t.dtype) }
            guard t.shape == c.shape else {
                throw ViTModelError.shapeMismatch(tensor: c.name, expected: c.shape, found: t.shape)
            }
            regions[c.name] = (total, c.shape)
            total += t.elementCount
        }
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: max(total, 1))
        for c in expected {
            guard let t = tensors[c.name], let r = regions[c.name] else { continue }
            t.copyFloat32(into: UnsafeMutableBufferPointer(start: storage + r.offset, count: t.elementCount))
        }
        self.config = config
        self.names = expected.map(\.name)
        self.parameterCount = total
        self.storage = storage
        self.regions = regions
        do {
            self.layout = try WeightLayout(config: config) { name in
                guard let r = regions[name] else { throw ViTModelError.missingTensors([name]) }
                return UnsafePointer(storage + r.offset)
            }
        } catch {
            storage.deallocate()
            throw error
        }
    }

    deinit { storage.deallocate() }

    /// The Float32 values of one canonical tensor (a copy), or nil for a name the config does not have.
    /// - Parameter name: A canonical timm name.
    public func values(_ name: String) -> [Float]? {
        guard let r = regions[name] else { return nil }
        let n = r.shape.reduce(1, *)
        return Array(UnsafeBufferPointer(start: storage + r.offset, count: n))
    }

    /// One canonical tensor as a Float32 `Tensor` (a copy), or nil for a name the config does not have.
    /// - Parameter name: A canonical timm name.
    public func tensor(_ name: String) -> Tensor? {
        guard let r = regions[name], let v = values(name) else { return nil }
        return try? Tensor(shape: r.shape, float32: v)
    }
}

/// Pointers to each weight, arranged by role for the forward pass.
struct WeightLayout {
    struct Norm {
        let weight: UnsafePointer<Float>
        let bias: UnsafePointer<Float>
    }

    struct Linear {
        /// (out, in), row-major, as PyTorch stores it.
        let weight: UnsafePointer<Float>
        let bias: UnsafePointer<Float>?
        let outDim: Int
        let inDim: Int
    }

    struct Block {
        let norm1: Norm
        let qkv: Linear
        let proj: Linear
        let ls1: UnsafePointer<Float>?
        let norm2: Norm
        let fc1: Linear
        let fc2: Linear
        let ls2: UnsafePointer<Float>?
    }

    /// timm `AttentionPoolLatent`: latent query, q, packed kv, output projection, norm and MLP.
    struct AttentionPool {
        let latent: UnsafePointer<Float>
        let q: Linear
        let kv: Linear
        let proj: Linear
        let norm: Norm
        let fc1: Linear
        let fc2: Linear
    }

    let clsToken: UnsafePointer<Float>?
    let distToken: UnsafePointer<Float>?
    let regTokens: UnsafePointer<Float>?
    let posEmbed: UnsafePointer<Float>
    let patchNormPre: Norm?
    /// The conv kernel (D, C, P, P) seen as a Linear (D, C·P·P).
    let patchProj: Linear
    let patchNorm: Norm?
    let normPre: Norm?
    let blocks: [Block]
    let norm: Norm?
    let attnPool: AttentionPool?
    let fcNorm: Norm?
    let preLogits: Linear?
    let head: Linear?
    let headDist: Linear?

    init(config c: ViTConfig, pointer p: (String) throws -> UnsafePointer<Float>) throws {
        func makeNorm(_ prefix: String) throws -> Norm {
            Norm(weight: try p(prefix + ".weight"), bias: try p(prefix + ".bias"))
        }
        func makeLinear(_ prefix: String, out: Int, in inDim: Int, bias: Bool = true) throws -> Linear {
            Linear(weight: try p(prefix + ".weight"), bias: bias ? try p(prefix + ".bias") : nil,
                   outDim: out, inDim: inDim)
        }
        let d = c.embedDim
        clsToken = c.classToken ? try p("cls_token") : nil
        distToken = c.distilled ? try p("dist_token") : nil
        regTokens = c.registerTokens > 0 ? try p("reg_token") : nil
        posEmbed = try p("pos_embed")
        patchNormPre = c.patchNormPre ? try makeNorm("patch_embed.norm_pre") : nil
        patchProj = try makeLinear("patch_embed.proj", out: d, in: c.patchVectorLength, bias: c.patchBias)
        patchNorm = c.patchNormPost ? try makeNorm("patch_embed.norm") : nil
        normPre = c.normPre ? try makeNorm("norm_pre") : nil
        blocks = try (0..<c.depth).map { i in
            let b = "blocks.\(i)."
            return Block(
                norm1: try makeNorm(b + "norm1"),
                qkv: try makeLinear(b + "attn.qkv", out: 3 * c.attnDim, in: d, bias: c.qkvBias),
                proj: try makeLinear(b + "attn.proj", out: d, in: c.attnDim),
                ls1: c.layerScale ? try p(b + "ls1.gamma") : nil,
                norm2: try makeNorm(b + "norm2"),
                fc1: try makeLinear(b + "mlp.fc1", out: c.fc1OutDim, in: d),
                fc2: try makeLinear(b + "mlp.fc2", out: d, in: c.mlpHiddenDim),
                ls2: c.layerScale ? try p(b + "ls2.gamma") : nil)
        }
        norm = c.finalNorm ? try makeNorm("norm") : nil
        if c.globalPool == .map, let ph = c.poolMlpHiddenDim {
            attnPool = AttentionPool(
                latent: try p("attn_pool.latent"),
                q: try makeLinear("attn_pool.q", out: d, in: d), kv: try makeLinear("attn_pool.kv", out: 2 * d, in: d),
                proj: try makeLinear("attn_pool.proj", out: d, in: d), norm: try makeNorm("attn_pool.norm"),
                fc1: try makeLinear("attn_pool.mlp.fc1", out: ph, in: d), fc2: try makeLinear("attn_pool.mlp.fc2", out: d, in: ph))
        } else {
            attnPool = nil
        }
        fcNorm = c.fcNorm ? try makeNorm("fc_norm") : nil
        preLogits = try c.preLogitsDim.map { try makeLinear("pre_logits.fc", out: $0, in: d) }
        head = c.numClasses > 0 ? try makeLinear("head", out: c.numClasses, in: c.featureDim, bias: c.headBias) : nil
        headDist = c.numClasses > 0 && c.distilled
            ? try makeLinear("head_dist", out: c.numClasses, in: c.featureDim, bias: c.headBias) : nil
    }
}
