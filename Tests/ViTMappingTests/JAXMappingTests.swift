import Foundation
import Testing
import ViTFormats
import ViTModel
import ViTRuntime
import ViTNumpy
import ViTTensor
@testable import ViTMapping
import ViTTestSupport

/// The two JAX namings (conventions.md §2.4).
enum JAXNaming {
    /// google-research/vision_transformer: `Transformer/posembed_input/pos_embedding`, `MultiHeadDotProductAttention_1`,
    /// `LayerNorm_0/2`, `MlpBlock_3`.
    case original
    /// big_vision: top-level `pos_embedding` (or the pre-2022 `Transformer/pos_embedding`), `MultiHeadDotProductAttention_0`,
    /// `LayerNorm_0/1`, `MlpBlock_0`.
    case bigVision(oldPosition: Bool = false)
}

extension Synthetic {
    /// The `.npz` names and arrays Google's JAX code stores for this model, restated from the fact sheet (the inverse
    /// of timm's `_load_weights`), independently of ViTMapping's tables. `scanned` stores each block parameter once,
    /// stacked on a leading depth axis (big_vision `scan=True`).
    func jax(_ naming: JAXNaming, prefix: String = "", scanned: Bool = false) -> Stored {
        var s = Stored()
        let d = config.embedDim, a = config.attnDim, h = config.numHeads, hd = config.headDim
        func add(_ name: String, _ x: Values) { s.add(prefix + name, x) }
        add("embedding/kernel", v("patch_embed.proj.weight").transposed([2, 3, 1, 0]))   // (D,C,P,P) → HWIO
        add("embedding/bias", v("patch_embed.proj.bias"))
        if has("cls_token") { add("cls", v("cls_token")) }
        switch naming {
        case .original: add("Transformer/posembed_input/pos_embedding", v("pos_embed"))
        case let .bigVision(old): add(old ? "Transformer/pos_embedding" : "pos_embedding", v("pos_embed"))
        }
        let (att, ln2, mlp): (String, String, String)
        switch naming {
        case .original: (att, ln2, mlp) = ("MultiHeadDotProductAttention_1", "LayerNorm_2", "MlpBlock_3")
        case .bigVision: (att, ln2, mlp) = ("MultiHeadDotProductAttention_0", "LayerNorm_1", "MlpBlock_0")
        }
        /// One block's arrays, by path inside the block.
        func block(_ i: Int) -> [(String, Values)] {
            let b = "blocks.\(i)."
            var out: [(String, Values)] = [("LayerNorm_0/scale", v(b + "norm1.weight")), ("LayerNorm_0/bias", v(b + "norm1.bias"))]
            for (k, part) in ["query", "key", "value"].enumerated() {
                out.append(("\(att)/\(part)/kernel", v(b + "attn.qkv.weight").rows(k * a, (k + 1) * a).transposed([1, 0]).reshaped([d, h, hd])))
                out.append(("\(att)/\(part)/bias", v(b + "attn.qkv.bias").rows(k * a, (k + 1) * a).reshaped([h, hd])))
            }
            out.append(("\(att)/out/kernel", v(b + "attn.proj.weight").transposed([1, 0]).reshaped([h, hd, d])))
            out.append(("\(att)/out/bias", v(b + "attn.proj.bias")))
            out.append(("\(ln2)/scale", v(b + "norm2.weight")))
            out.append(("\(ln2)/bias", v(b + "norm2.bias")))
            out.append(("\(mlp)/Dense_0/kernel", v(b + "mlp.fc1.weight").transposed([1, 0])))
            out.append(("\(mlp)/Dense_0/bias", v(b + "mlp.fc1.bias")))
            out.append(("\(mlp)/Dense_1/kernel", v(b + "mlp.fc2.weight").transposed([1, 0])))
            out.append(("\(mlp)/Dense_1/bias", v(b + "mlp.fc2.bias")))
            return out
        }
        if scanned {
            let blocks = (0..<config.depth).map(block)
            for (j, (path, first)) in blocks[0].enumerated() {
                add("Transformer/encoderblock/" + path, Values(shape: [config.depth] + first.shape, data: blocks.flatMap { $0[j].1.data }))
            }
        } else {
            for i in 0..<config.depth { for (path, x) in block(i) { add("Transformer/encoderblock_\(i)/" + path, x) } }
        }
        add("Transformer/encoder_norm/scale", v("norm.weight"))
        add("Transformer/encoder_norm/bias", v("norm.bias"))
        if has("pre_logits.fc.weight") {
            add("pre_logits/kernel", v("pre_logits.fc.weight").transposed([1, 0]))
            add("pre_logits/bias", v("pre_logits.fc.bias"))
        }
        if has("head.weight") {
            add("head/kernel", v("head.weight").transposed([1, 0]))
            add("head/bias", v("head.bias"))
        }
        return s
    }
}

@Suite("JAX .npz conventions (vision_transformer, big_vision)")
struct JAXMappingTests {
    /// Plans, checks the config, materialises everything and compares with the canonical values bit for bit.
    @discardableResult
    func roundTrip(_ m: Synthetic, _ stored: Synthetic.Stored, convention: Convention, dialect: String,
                   options: MappingOptions = MappingOptions(), dtype: DType = .f32) throws -> MappingResult {
        let source = try stored.source(dtype: dtype)
        let result = try ViTMapper.plan(source.tensorInfos, context: stored.context(file: source.path), options: options)
        #expect(result.report.convention == convention)
        #expect(result.report.dialect == dialect)
        #expect(result.config == m.config)
        #expect(result.plan.entries.map(\.canonicalName) == m.config.canonicalTensors.map(\.name))
        #expect(result.plan.unused.isEmpty)
        for e in result.plan.entries {
            let t = try ViTMapper.materialize(e, from: source)
            #expect(t == (try m.v(e.canonicalName).tensor(dtype)), "\(e.canonicalName) via \(e.transform)")
        }
        return result
    }

    static let sizes: [(d: Int, depth: Int, heads: Int, grid: [Int], patch: Int, classes: Int)] = [
        (24, 1, 2, [3, 3], 4, 5), (96, 13, 3, [2, 2], 2, 7), (32, 2, 4, [4, 4], 8, 0),
    ]

    static func config(_ k: Int, classToken: Bool = true, noEmbedClass: Bool = false, preLogits: Bool = false,
                       attnDim: Int? = nil, heads: Int? = nil) -> ViTConfig {
        let s = sizes[k]
        return ViTConfig(imageSize: s.grid.map { $0 * s.patch }, patchSize: [s.patch, s.patch], embedDim: s.d, depth: s.depth,
                         numHeads: heads ?? s.heads, attnDim: attnDim, mlpHiddenDim: 3 * s.d, classToken: classToken,
                         noEmbedClass: noEmbedClass, globalPool: classToken ? .token : .avg,
                         preLogitsDim: preLogits ? 2 * s.d : nil, numClasses: s.classes)
    }

    @Test("original vision_transformer names, bare and under opt/target/, with and without pre_logits and head", arguments: 0..<3)
    func original(_ k: Int) throws {
        for (prefix, preLogits) in [("", false), ("opt/target/", true), ("", true), ("opt/target/", false)] {
            let m = Synthetic(Self.config(k, preLogits: preLogits))
            let r = try roundTrip(m, m.jax(.original, prefix: prefix), convention: .jax, dialect: "vision_transformer (original JAX)")
            #expect(r.report.headsSource == .weights(tensor: prefix + "Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query/kernel"))
            #expect(r.report.notes.contains("LayerNorm eps 1e-06 assumed: flax nn.LayerNorm's default epsilon 1e-6 (vision_transformer keeps it)"))
            #expect(r.report.notes.contains { $0.contains("'opt/target/'") } == !prefix.isEmpty)
            let last = Self.sizes[k].depth - 1, att = prefix + "Transformer/encoderblock_\(last)/MultiHeadDotProductAttention_1/"
            let qkv = try #require(r.plan.entry(named: "blocks.\(last).attn.qkv.weight"))
            #expect(qkv.sources == [att + "query/kernel", att + "key/kernel", att + "value/kernel"])
            #expect(qkv.transform == .concatRows(Array(repeating: .jaxQKVKernel(heads: Self.sizes[k].heads,
                                                                                headDim: Self.sizes[k].d / Self.sizes[k].heads), count: 3)))
            #expect(r.plan.entry(named: "patch_embed.proj.weight")?.transform == .hwioToOihw)
            #expect(r.plan.entry(named: "blocks.\(last).attn.proj.weight")?.sources == [att + "out/kernel"])
            if preLogits {
                #expect(r.config.preLogitsActivation == .tanh)
                #expect(r.plan.entry(named: "pre_logits.fc.weight")?.sources == [prefix + "pre_logits/kernel"])
                #expect(r.plan.entry(named: "pre_logits.fc.weight")?.transform == .transpose2D)
            }
        }
    }

    @Test("big_vision names, unscanned and scanned, under no prefix, params/ and params/img/", arguments: 0..<3)
    func bigVision(_ k: Int) throws {
        let m = Synthetic(Self.config(k))
        for prefix in ["", "params/", "params/img/"] {
            try roundTrip(m, m.jax(.bigVision(), prefix: prefix), convention: .bigVision, dialect: "big_vision")
            let r = try roundTrip(m, m.jax(.bigVision(), prefix: prefix, scanned: true), convention: .bigVision, dialect: "big_vision (scanned)")
            #expect(r.report.headsSource == .weights(tensor: prefix + "Transformer/encoderblock/MultiHeadDotProductAttention_0/query/kernel"))
            #expect(r.config.depth == Self.sizes[k].depth)
        }
    }

    @Test("big_vision without a class token ('gap'): canonical norm before the mean, no fc_norm, said in a note", arguments: 0..<3)
    func gap(_ k: Int) throws {
        for preLogits in [false, true] {
            let c = Self.config(k, classToken: false, preLogits: preLogits)
            #expect(c.globalPool == .avg && c.finalNorm && !c.fcNorm)
            let m = Synthetic(c)
            for scanned in [false, true] {
                let r = try roundTrip(m, m.jax(.bigVision(), prefix: "params/", scanned: scanned), convention: .bigVision,
                                      dialect: scanned ? "big_vision (scanned)" : "big_vision")
                #expect(r.report.notes.contains { $0.hasPrefix("no class token: mean of the tokens after encoder_norm") })
            }
            try roundTrip(m, m.jax(.original), convention: .jax, dialect: "vision_transformer (original JAX)")
        }
    }

    @Test("big_vision's class token joined after the position embedding: pos_embed of the patches only (no_embed_class)", arguments: 0..<3)
    func classTokenAfterPosition(_ k: Int) throws {
        let m = Synthetic(Self.config(k, noEmbedClass: true))
        for scanned in [false, true] {
            let r = try roundTrip(m, m.jax(.bigVision(), scanned: scanned), convention: .bigVision,
                                  dialect: scanned ? "big_vision (scanned)" : "big_vision")
            #expect(r.config.noEmbedClass)
            #expect(r.report.notes.contains("pos_embed covers the patches only (no_embed_class)"))
        }
    }

    @Test("the pre-2022 big_vision position embedding Transformer/pos_embedding is read too")
    func oldBigVisionPosition() throws {
        let m = Synthetic(Self.config(0))
        let r = try roundTrip(m, m.jax(.bigVision(oldPosition: true)), convention: .bigVision, dialect: "big_vision")
        #expect(r.plan.entry(named: "pos_embed")?.sources == ["Transformer/pos_embedding"])
    }

    @Test("an attention width other than D and a non-square grid given as an option map exactly")
    func attentionWidthAndGrid() throws {
        let c = ViTConfig(imageSize: [8, 16], patchSize: [4, 4], embedDim: 24, depth: 2, numHeads: 2, attnDim: 16,
                          mlpHiddenDim: 40, numClasses: 3)
        let m = Synthetic(c)
        try roundTrip(m, m.jax(.original), convention: .jax, dialect: "vision_transformer (original JAX)",
                      options: MappingOptions(imageSize: [8, 16]))
        try roundTrip(m, m.jax(.bigVision(), scanned: true), convention: .bigVision, dialect: "big_vision (scanned)",
                      options: MappingOptions(imageSize: [8, 16]))
    }

    @Test("bf16 and f16 checkpoints keep their dtype through the slices, bit for bit")
    func halfPrecision() throws {
        let m = Synthetic(Self.config(1))
        for dtype in [DType.bf16, .f16] {
            let plan = try roundTrip(m, m.jax(.bigVision(), scanned: true), convention: .bigVision, dialect: "big_vision (scanned)", dtype: dtype)
            #expect(plan.plan.entries.allSatisfy { $0.dtype == dtype })
        }
    }

    @Test("a scanned depth-13 plan: each block reads slice i of the stacks, q/k/v fused, norms as views")
    func scannedPlan() throws {
        let m = Synthetic(Self.config(1))
        let stored = m.jax(.bigVision(), prefix: "params/", scanned: true)
        let source = try stored.source()
        let r = try ViTMapper.plan(source)
        let att = "params/Transformer/encoderblock/MultiHeadDotProductAttention_0/"
        let qkv = try #require(r.plan.entry(named: "blocks.12.attn.qkv.weight"))
        #expect(qkv.sources == [att + "query/kernel", att + "key/kernel", att + "value/kernel"])
        #expect(qkv.transform == .concatRows(Array(repeating: .slice(index: 12, then: .jaxQKVKernel(heads: 3, headDim: 32)), count: 3)))
        #expect(r.plan.entry(named: "blocks.3.attn.qkv.bias")?.transform
                == .concatRows(Array(repeating: .slice(index: 3, then: .reshape(to: [96])), count: 3)))
        #expect(r.plan.entry(named: "blocks.0.attn.proj.weight")?.transform == .slice(index: 0, then: .jaxOutKernel(heads: 3, headDim: 32)))
        #expect(r.plan.entry(named: "blocks.7.mlp.fc2.weight")?.transform == .slice(index: 7, then: .transpose2D))
        let norm = try #require(r.plan.entry(named: "blocks.10.norm2.weight"))
        #expect(norm.transform == .slice(index: 10, then: .identity))
        #expect(norm.sources == ["params/Transformer/encoderblock/LayerNorm_1/scale"])
        #expect(String(describing: qkv.transform) == "concat3 of depth[12] → (D,3,32)→(96,D)")
        // An identity slice is a view into the stack, not a copy.
        let stack = try source.tensor(named: "params/Transformer/encoderblock/LayerNorm_1/scale")
        let t = try ViTMapper.materialize(norm, from: source)
        #expect(t.storage === stack.storage && t.offset == stack.offset + 10 * 96 * 4)
        #expect(r.report.notes.contains("the model's names are under 'params/' (found params/embedding/kernel); the prefix is ignored"))
    }

    @Test("every JAX variant is detected from its names alone, and each table matches a name with one row at most")
    func detection() throws {
        let m = Synthetic(Self.config(1, preLogits: true))
        let cases: [(Convention, Synthetic.Stored)] = [
            (.jax, m.jax(.original)), (.jax, m.jax(.original, prefix: "opt/target/")),
            (.bigVision, m.jax(.bigVision())), (.bigVision, m.jax(.bigVision(), prefix: "params/img/", scanned: true)),
            (.bigVision, m.jax(.bigVision(oldPosition: true), prefix: "params/")),
        ]
        for (convention, stored) in cases {
            #expect(try ViTMapper.detect(stored.infos, context: stored.context()) == convention)
            for d in [Dialect.jax, .bigVision, .bigVisionScanned] {
                for n in ViTMapper.matchEntries(d, stored.infos, stored.context())?.0.map(\.0) ?? [] {
                    let hits = d.rules.filter { $0.pattern.match(n) != nil }.map(\.pattern.text)
                    #expect(hits.count <= 1, "\(d.name): \(n) matches \(hits)")
                }
            }
        }
        // The other way round: no JAX table claims the names of another convention.
        for (_, stored) in DetectionTests.allStored(DetectionTests.model(depth: 2)) {
            #expect(![.jax, .bigVision].contains(try ViTMapper.detect(stored.infos, context: stored.context())))
        }
    }

    @Test("the prefix is found as timm finds it: the first of opt/target/, params/, params/img/ with embedding/kernel")
    func prefixOrder() {
        func infos(_ names: [String]) -> [TensorInfo] { names.map { TensorInfo(name: $0, dtype: .f32, shape: [1]) } }
        #expect(JAXPrefix.detect(infos(["params/img/embedding/kernel", "params/embedding/kernel", "opt/target/embedding/kernel"])) == "opt/target/")
        #expect(JAXPrefix.detect(infos(["params/img/embedding/kernel", "params/embedding/kernel"])) == "params/")
        #expect(JAXPrefix.detect(infos(["params/img/embedding/kernel", "params/txt/embedding/kernel"])) == "params/img/")
        #expect(JAXPrefix.detect(infos(["embedding/kernel", "params/img/cls"])) == "")
        #expect(JAXPrefix.detect(infos(["opt/target/cls", "params/cls"])) == "")
    }

    @Test("forcing the convention works when it fits, and names the detected one when it does not")
    func forced() throws {
        let m = Synthetic(Self.config(0))
        let stored = m.jax(.original)
        let r = try ViTMapper.plan(stored.infos, context: stored.context(), options: MappingOptions(convention: .jax))
        #expect(r.report.detected == false)
        do {
            _ = try ViTMapper.plan(stored.infos, context: stored.context(), options: MappingOptions(convention: .bigVision))
            Issue.record("expected an error")
        } catch let MappingError.conventionMismatch(file, forced, candidate, detected) {
            #expect(file == "test.ckpt" && forced == .bigVision && detected == .jax)
            #expect(candidate.missingAnchors == ["pos_embed", "blocks.*.attn.qkv.weight"])
        }
    }

    // MARK: refusals

    @Test("names outside the model's prefix (optimizer state, another tower) are unused; --allow-unused drops them")
    func outsidePrefix() throws {
        let m = Synthetic(Self.config(0))
        var stored = m.jax(.original, prefix: "opt/target/")
        stored.add("opt/state/step", Values(shape: [], data: [3]))
        #expect(throws: MappingError.unusedTensors(file: "test.ckpt", names: ["opt/state/step"])) {
            try ViTMapper.plan(stored.infos, context: stored.context())
        }
        let r = try ViTMapper.plan(stored.infos, context: stored.context(), options: MappingOptions(allowUnused: true))
        #expect(r.plan.unused == ["opt/state/step"])
        #expect(r.config == m.config)
    }

    @Test("an incomplete MAP attention-pooling head is refused naming every attn_pool tensor it lacks")
    func incompleteMapHead() throws {
        let m = Synthetic(Self.config(0, classToken: false))
        var stored = m.jax(.bigVision(), prefix: "params/")
        stored.add("params/MAPHead_0/probe", Values(shape: [1, 1, 24], data: [Float](repeating: 0.5, count: 24)))
        do {
            _ = try ViTMapper.plan(stored.infos, context: stored.context())
            Issue.record("an attention pool with only its probe was accepted")
        } catch let MappingError.missingTensors(file, names) {
            #expect(file == "test.ckpt")
            for n in ["attn_pool.q.weight", "attn_pool.kv.weight", "attn_pool.proj.weight", "attn_pool.norm.weight",
                      "attn_pool.mlp.fc1.weight", "attn_pool.mlp.fc2.weight"] {
                #expect(names.contains { $0.hasPrefix(n) }, "\(n) not named in \(names)")
            }
        }
    }

    @Test("a second copy of a parameter outside the prefix is a duplicate naming both")
    func duplicateOutsidePrefix() throws {
        let m = Synthetic(Self.config(0))
        var stored = m.jax(.original, prefix: "opt/target/")
        stored.add("cls", m.v("cls_token"))
        #expect(throws: MappingError.duplicateRole(file: "test.ckpt", canonical: "cls_token", sources: ["opt/target/cls", "cls"])) {
            try ViTMapper.plan(stored.infos, context: stored.context())
        }
    }

    @Test("a missing value kernel is named as the missing part of the fused qkv")
    func missingValue() throws {
        let m = Synthetic(Self.config(0))
        var stored = m.jax(.bigVision(), scanned: true)
        stored.entries.removeAll { $0.0 == "Transformer/encoderblock/MultiHeadDotProductAttention_0/value/kernel" }
        #expect(throws: MappingError.missingTensors(file: "test.ckpt", names: ["blocks.0.attn.qkv.weight (no value weight)"])) {
            try ViTMapper.plan(stored.infos, context: stored.context())
        }
    }

    @Test("stacks of different depths are refused naming the odd one and the query kernel's depth")
    func mismatchedStacks() throws {
        let m = Synthetic(Self.config(2))   // depth 2, D 32
        var stored = m.jax(.bigVision(), scanned: true)
        let name = "Transformer/encoderblock/LayerNorm_1/scale"
        let i = try #require(stored.entries.firstIndex { $0.0 == name })
        stored.entries[i].1 = stored.entries[i].1.rows(0, 1)   // (1, 32): one block only
        #expect(throws: MappingError.unexpectedShape(
            file: "test.ckpt", tensor: name,
            expected: "a stack of 2 blocks on its first axis, as Transformer/encoderblock/MultiHeadDotProductAttention_0/query/kernel has",
            found: [1, 32])) {
            try ViTMapper.plan(stored.infos, context: stored.context())
        }
        // A block parameter stored without the depth axis (D,) is the same mistake.
        stored.entries[i].1 = m.v("blocks.0.norm2.weight")
        #expect(throws: MappingError.unexpectedShape(
            file: "test.ckpt", tensor: name,
            expected: "a stack of 2 blocks on its first axis, as Transformer/encoderblock/MultiHeadDotProductAttention_0/query/kernel has",
            found: [32])) {
            try ViTMapper.plan(stored.infos, context: stored.context())
        }
    }

    @Test("a scanned parameter stored as a scalar is refused as a stack without its depth axis")
    func scalarStack() throws {
        let m = Synthetic(Self.config(0))
        var infos = m.jax(.bigVision(), scanned: true).infos
        let name = "Transformer/encoderblock/LayerNorm_0/scale"
        let i = try #require(infos.firstIndex { $0.name == name })
        infos[i] = TensorInfo(name: name, dtype: .f32, shape: [])
        #expect(throws: MappingError.unexpectedShape(file: "test.ckpt", tensor: name,
                                                     expected: "a stack (depth, …) of every block's parameter", found: [])) {
            try ViTMapper.plan(infos, context: SourceContext(file: "test.ckpt"))
        }
    }

    @Test("a stack claiming more than 10,000 blocks binds nothing and is reported unused (headers alone cannot make work explode)")
    func absurdDepth() throws {
        let m = Synthetic(Self.config(0))   // depth 1, D 24
        var infos = m.jax(.bigVision(), scanned: true).infos
        let name = "Transformer/encoderblock/LayerNorm_1/bias"
        let i = try #require(infos.firstIndex { $0.name == name })
        infos[i] = TensorInfo(name: name, dtype: .f32, shape: [Rule.maxStackDepth + 1, 24])
        #expect(throws: MappingError.missingTensors(file: "test.ckpt", names: ["blocks.0.norm2.bias"])) {
            try ViTMapper.plan(infos, context: SourceContext(file: "test.ckpt"))
        }
    }

    @Test("a scanned kernel of the wrong rank is reported as a stack of what its role needs")
    func stackedRank() throws {
        let m = Synthetic(Self.config(0))   // depth 1
        var stored = m.jax(.bigVision(), scanned: true)
        let name = "Transformer/encoderblock/MlpBlock_0/Dense_0/kernel"
        let i = try #require(stored.entries.firstIndex { $0.0 == name })
        stored.entries[i].1 = stored.entries[i].1.reshaped([1, 24, 72, 1, 1])
        #expect(throws: MappingError.unexpectedShape(file: "test.ckpt", tensor: name,
                                                     expected: "a stack (depth, …) of a kernel (in, out) or (D, heads, head_dim)",
                                                     found: [1, 24, 72, 1, 1])) {
            try ViTMapper.plan(stored.infos, context: stored.context())
        }
    }

    @Test("--heads contradicting the heads axis of the query kernel is an error naming the kernel")
    func headsConflict() throws {
        let m = Synthetic(Self.config(1))
        let stored = m.jax(.bigVision(), prefix: "params/", scanned: true)
        #expect(throws: MappingError.headsConflict(file: "test.ckpt", option: 4, found: 3,
                                                   source: "params/Transformer/encoderblock/MultiHeadDotProductAttention_0/query/kernel")) {
            try ViTMapper.plan(stored.infos, context: stored.context(), options: MappingOptions(heads: 4))
        }
    }
}

@Suite("Slice transform")
struct SliceTransformTests {
    func t(_ shape: [Int], _ v: [Float]) throws -> Tensor { try Tensor(shape: shape, float32: v) }

    @Test("slice i of arange(12).reshape(3, 2, 2), alone and followed by a transpose")
    func values() throws {
        let x = try t([3, 2, 2], (0..<12).map(Float.init))
        let s1 = try TensorTransform.slice(index: 1, then: .identity).apply([x], dtype: .f32, name: "x")
        #expect(s1.shape == [2, 2] && s1.floats() == [4, 5, 6, 7])
        // x[2].T = [[8, 10], [9, 11]]
        let s2 = try TensorTransform.slice(index: 2, then: .transpose2D).apply([x], dtype: .f32, name: "x")
        #expect(s2.shape == [2, 2] && s2.floats() == [8, 10, 9, 11])
        let k = try t([2, 2, 1, 2], (0..<8).map(Float.init))
        // k[1] = [[[4, 5]], [[6, 7]]] (D=2, H=1, hd=2) → reshape(2, 2).T = [[4, 6], [5, 7]]
        let s3 = try TensorTransform.slice(index: 1, then: .jaxQKVKernel(heads: 1, headDim: 2)).apply([k], dtype: .f32, name: "x")
        #expect(s3.shape == [2, 2] && s3.floats() == [4, 6, 5, 7])
    }

    @Test("an identity slice is a view into the stack; a converted slice converts that slice only")
    func view() throws {
        let x = try t([3, 2], [1, 2, 3, 4, 5, 6])
        let s = try TensorTransform.slice(index: 2, then: .identity).apply([x], dtype: .f32, name: "x")
        #expect(s.storage === x.storage && s.offset == x.offset + 16)
        let h = try TensorTransform.slice(index: 1, then: .identity).apply([x], dtype: .f16, name: "x")
        #expect(h.dtype == .f16 && h.byteCount == 4 && h.floats() == [3, 4])
    }

    @Test("output shapes and refusals: index out of range, no depth axis, an inner transform that does not fit")
    func shapes() {
        #expect(TensorTransform.slice(index: 12, then: .jaxOutKernel(heads: 3, headDim: 32)).outputShape([[13, 3, 32, 96]]) == [96, 96])
        #expect(TensorTransform.slice(index: 3, then: .identity).outputShape([[3, 4]]) == nil)
        #expect(TensorTransform.slice(index: -1, then: .identity).outputShape([[3, 4]]) == nil)
        #expect(TensorTransform.slice(index: 0, then: .identity).outputShape([[]]) == nil)
        #expect(TensorTransform.slice(index: 0, then: .transpose2D).outputShape([[2, 4]]) == nil)
        #expect(TensorTransform.slice(index: 0, then: .identity).sourceCount == 1)
        #expect(throws: MappingError.transformInput(tensor: "x", transform: "depth[5]", found: [[3, 4]])) {
            _ = try TensorTransform.slice(index: 5, then: .identity).apply([try Tensor(shape: [3, 4], float32: [Float](repeating: 0, count: 12))],
                                                                       dtype: .f32, name: "x")
        }
    }
}

/// The committed JAX fixtures (fixtures/sources/jax, made by tools/fixtures_sources.py as the inverse of timm's
/// `_load_weights` and verified bit-identical through it) hold the weights of fixtures/sources/tiny_vit.
@Suite("JAX .npz fixtures against timm")
struct JAXFixtureTests {
    static let root = Fixtures.url("sources")

    static let files: [(String, Convention, String)] = [
        ("original.npz", .jax, "vision_transformer (original JAX)"),
        ("original_opt_target.npz", .jax, "vision_transformer (original JAX)"),
        ("big_vision.npz", .bigVision, "big_vision"),
        ("big_vision_scanned.npz", .bigVision, "big_vision (scanned)"),
    ]

    struct Case: Decodable { let expected_config: ViTConfig }

    static func expectedConfig() throws -> ViTConfig {
        try JSONDecoder().decode(Case.self, from: Data(contentsOf: root.appendingPathComponent("tiny_vit/case.json"))).expected_config
    }

    @Test("each JAX .npz, mapped and run by the Swift forward pass, gives timm's logits: max|diff| / max(1, max|ref|) ≤ 1e-4",
          arguments: JAXFixtureTests.files)
    func logits(_ c: (String, Convention, String)) throws {
        let source = try CheckpointOpener.open(Self.root.appendingPathComponent("jax/\(c.0)").path)
        let checkpoint = try ViTMapper.loadCanonical(source)
        #expect(checkpoint.convention == c.1)
        #expect(checkpoint.report.dialect == c.2)
        #expect(checkpoint.config == (try Self.expectedConfig()))
        #expect(checkpoint.report.headsSource == .weights(tensor: source.tensorNames.first { $0.hasSuffix("query/kernel") } ?? ""))
        let model = try VisionTransformer(config: checkpoint.config, tensors: checkpoint.tensors, threads: 1)
        let input = try NpyFile(path: Self.root.appendingPathComponent("tiny_vit/input.npy").path).tensor
        let ref = try NpyFile(path: Self.root.appendingPathComponent("tiny_vit/logits.npy").path).tensor
        let out = try model.forward(input)
        #expect(out.shape == ref.shape)
        let err = FixtureTests.relativeError(out.floats(), ref.floats())
        #expect(err <= 1e-4, "\(c.0): relative error \(err)")
    }

    @Test("every canonical tensor from each JAX .npz is bit-identical to the same model's torch.save state_dict",
          arguments: JAXFixtureTests.files)
    func sameTensorsAsTorch(_ c: (String, Convention, String)) throws {
        let torch = try ViTMapper.loadCanonical(try CheckpointOpener.open(Self.root.appendingPathComponent("torch/plain.pth").path),
                                                options: MappingOptions(heads: 2))
        let jax = try ViTMapper.loadCanonical(try CheckpointOpener.open(Self.root.appendingPathComponent("jax/\(c.0)").path))
        #expect(jax.order == torch.order)
        for name in torch.order { #expect(jax.tensors[name] == torch.tensors[name], "\(c.0): \(name)") }
    }
}
