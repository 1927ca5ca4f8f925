import ViTModel
internal import CViTKernels
/// The sizes one forward pass works with, derived once from a config.
struct ForwardDims: Equatable {
    let channels: Int, height: Int, width: Int
    let patchH: Int, patchW: Int, gridH: Int, gridW: Int, patches: Int, patchLength: Int
    let embed: Int, attn: Int, heads: Int, headDim: Int, hidden: Int
    let tokens: Int, prefix: Int, features: Int, classes: Int, outputs: Int
    let distilled: Bool
    let activation: ViTConfig.Activation
    /// Output width of fc1 (2·hidden for SwiGLU).
    let fc1Out: Int

    init(_ c: ViTConfig) {
        channels = c.inChannels; height = c.imageSize[0]; width = c.imageSize[1]
        patchH = c.patchSize[0]; patchW = c.patchSize[1]
        gridH = c.gridSize[0]; gridW = c.gridSize[1]; patches = c.numPatches
        patchLength = c.patchVectorLength
        embed = c.embedDim; attn = c.attnDim; heads = c.numHeads; headDim = c.headDim
        hidden = c.mlpHiddenDim
        tokens = c.sequenceLength; prefix = c.numPrefixTokens
        features = c.featureDim; classes = c.numClasses
        outputs = c.numClasses > 0 ? c.numClasses : c.featureDim
        distilled = c.distilled
        activation = c.activation
        fc1Out = c.fc1OutDim
    }

    /// Floats in one input image.
    var imageLength: Int { channels * height * width }
}

/// Scratch memory for forward passes: every intermediate buffer, allocated once and reused.
///
/// A workspace grows when a larger batch (or a bigger model) comes along and never shrinks. It is not
/// thread-safe: give each concurrent caller its own.
public final class ViTWorkspace {
    /// Images the buffers currently have room for.
    public private(set) var batchCapacity = 0
    private(set) var dims: ForwardDims?
    private(set) var threads = 0
    private var base: UnsafeMutableRawPointer
    private var workers: WorkerPool?
    /// oneDNN matmul products by shape and column slice, created before the parallel loops that use them.
    private(set) var matmuls: [DNNLMatmul.Key: DNNLMatmul] = [:]
    /// Row counts `matmuls` has been prepared for (with the current dims and threads).
    private var matmulRows: Set<Int> = []

    var image: UnsafeMutablePointer<Float>
    var patches: UnsafeMutablePointer<Float>
    var embed: UnsafeMutablePointer<Float>
    var x: UnsafeMutablePointer<Float>
    var h: UnsafeMutablePointer<Float>
    var qkv: UnsafeMutablePointer<Float>
    var attn: UnsafeMutablePointer<Float>
    var mlp: UnsafeMutablePointer<Float>
    var ln: UnsafeMutablePointer<Float>
    var compact: UnsafeMutablePointer<Float>
    var scores: UnsafeMutablePointer<Float>
    var features: UnsafeMutablePointer<Float>
    var preLogits: UnsafeMutablePointer<Float>
    var logits: UnsafeMutablePointer<Float>
    /// SwiGLU's packed fc1 output (rows × 2·hidden); empty for other activations.
    var glu: UnsafeMutablePointer<Float>
    /// bf16 products' inputs: rows of the widest product input, rounded to bfloat16 (bf16 precision only).
    var half: UnsafeMutablePointer<UInt16>
    /// Per chunk of the attention loop (`Parallel.chunksPerThread` per thread), `attentionScratch(dims)` floats
    /// for the packed attention kernel.
    var attentionScratch: UnsafeMutablePointer<Float>
    /// Set only by `VisionTransformer.attentionProbabilities`: receives every attention row. Nil on the default
    /// path, which then pays one nil check per attention work item.
    var attentionProbe: AttentionProbe?

    /// An empty workspace; the first forward pass sizes it.
    public init() {
        base = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
        let p = base.bindMemory(to: Float.self, capacity: 16)
        (image, patches, embed, x, h, qkv) = (p, p, p, p, p, p)
        (attn, mlp, ln, compact, scores, features, preLogits, logits, glu) = (p, p, p, p, p, p, p, p, p)
        attentionScratch = p
        half = base.bindMemory(to: UInt16.self, capacity: 32)
    }

    /// Floats of scratch one thread's packed attention needs.
    static func attentionScratch(_ d: ForwardDims) -> Int {
        Int(vk_attention_scratch(Int32(d.tokens), Int32(d.headDim)))
    }

    /// A workspace sized for `batchSize` images of `model`.
    /// - Parameters:
    ///   - model: The model the workspace will serve (others work too; it regrows).
    ///   - batchSize: Images per forward pass to allocate for.
    public convenience init(for model: VisionTransformer, batchSize: Int = 1) {
        self.init()
        reserve(ForwardDims(model.config), batch: batchSize, threads: model.threads)
    }

    /// Makes room for `batch` images of a model with `dims`, reallocating only when needed.
    func reserve(_ dims: ForwardDims, batch: Int, threads: Int) {
        if self.dims == dims, batch <= batchCapacity, threads <= self.threads { return }
        let n = max(batch, self.dims == dims ? batchCapacity : 0, 1)
        let t = max(threads, 1)
        let nt = n * dims.tokens
        let sizes = [
            n * dims.imageLength, n * dims.patches * dims.patchLength, n * dims.patches * dims.embed,
            nt * dims.embed, nt * dims.embed, nt * 3 * dims.attn, nt * dims.attn, nt * dims.hidden,
            t * nt * dims.embed, 2 * n * dims.embed, 4 * t * (dims.tokens * dims.tokens + dims.tokens),
            2 * n * dims.embed, 2 * n * dims.features, 2 * n * max(dims.classes, 1),
            dims.activation == .swiglu ? nt * dims.fc1Out : 0,
            (nt * ((max(dims.embed, dims.attn, dims.hidden) + 1) / 2 * 2) + 1) / 2,
            t * Parallel.chunksPerThread * Self.attentionScratch(dims),
        ]
        // Each buffer starts on a 64-byte boundary.
        let padded = sizes.map { ($0 + 15) / 16 * 16 }
        base.deallocate()
        let total = max(padded.reduce(0, +), 16)
        base = UnsafeMutableRawPointer.allocate(byteCount: total * 4, alignment: 64)
        let p = base.bindMemory(to: Float.self, capacity: total)
        var offsets: [Int] = []
        var o = 0
        for s in padded { offsets.append(o); o += s }
        image = p + offsets[0]; patches = p + offsets[1]; embed = p + offsets[2]
        x = p + offsets[3]; h = p + offsets[4]; qkv = p + offsets[5]; attn = p + offsets[6]
        mlp = p + offsets[7]; ln = p + offsets[8]; compact = p + offsets[9]; scores = p + offsets[10]
        features = p + offsets[11]; preLogits = p + offsets[12]; logits = p + offsets[13]; glu = p + offsets[14]
        half = UnsafeMutableRawPointer(p + offsets[15]).bindMemory(to: UInt16.self, capacity: padded[15] * 2)
        attentionScratch = p + offsets[16]
        self.dims = dims
        self.threads = t
        batchCapacity = n
        matmuls = [:]
        matmulRows = []
    }

    /// Creates (once) the oneDNN matmul products for `rows` rows (`VITKIT_GEMM=dnnl-matmul`): every block
    /// product split into `threads` column slices as the forward pass splits it. Run on the calling thread
    /// before the parallel loops.
    func prepareMatmuls(rows: Int, threads: Int) {
        guard let d = dims, !matmulRows.contains(rows) else { return }
        matmulRows.insert(rows)
        GEMM.singleThreaded()
        // (output width, inner dimension) of qkv, proj, fc1, fc2.
        let shapes = [(3 * d.attn, d.embed), (d.embed, d.attn), (d.fc1Out, d.embed), (d.embed, d.hidden)]
        for (width, k) in shapes {
            for c in 0..<threads {
                let cols = Parallel.part(c, of: threads, count: width, alignment: 16)
                for b in [true, false] {
                    let key = DNNLMatmul.Key(m: rows, n: cols.count, k: k, ldc: width, column: cols.lowerBound,
                                             bias: b)
                    if matmuls[key] == nil, !cols.isEmpty { matmuls[key] = DNNLMatmul(key) }
                }
            }
        }
    }

    /// The worker threads for a forward pass on `threads` threads (started on first use, kept).
    func pool(threads: Int) -> WorkerPool {
        if let w = workers, w.threads == threads { return w }
        workers?.stop()
        let w = WorkerPool(threads: threads)
        workers = w
        return w
    }

    deinit {
        workers?.stop()
        base.deallocate()
    }
}
