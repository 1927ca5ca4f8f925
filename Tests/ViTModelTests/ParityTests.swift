import Testing
import ViTTensor
@testable import ViTModel
@testable import ViTRuntime

/// Logits against timm 1.0.31 on every fixture of tools/fixtures_model.py.
///
/// Tolerance: max|swift − timm| / max(1, max|timm|) ≤ 1e-4 (Float32 products in a different order;
/// in practice the error is about 1e-6).
@Suite("Parity with timm")
struct ParityTests {
    static let tolerance: Float = 1e-4

    @Test("every fixture is listed in the manifest")
    func manifestIsComplete() {
        #expect(ModelFixture.names.count == 19)
    }

    @Test("the Swift forward pass gives timm's logits", arguments: ModelFixture.names)
    func logitsMatchTimm(name: String) throws {
        let f = try ModelFixture(name)
        let model = try VisionTransformer(config: f.config, tensors: f.tensors, threads: 1)
        let out = try model.forward(f.input)
        #expect(out.shape == [f.input.shape[0], model.outputWidth])
        let err = relativeError(out.floats(), f.logits)
        #expect(err <= ParityTests.tolerance, "\(name): relative error \(err)")
    }

    @Test("two and three threads, split by rows or by columns, give the same logits", arguments: ModelFixture.names)
    func parallelPathsMatch(name: String) throws {
        let f = try ModelFixture(name)
        let weights = try ViTWeights(config: f.config, tensors: f.tensors)
        for threads in [2, 3] {
            for split in [VisionTransformer.Split.rows, .columns] {
                let model = VisionTransformer(weights: weights, threads: threads, split: split, minimumChunkRows: 1)
                let err = relativeError(try model.forward(f.input).floats(), f.logits)
                #expect(err <= ParityTests.tolerance, "\(name) \(threads) threads by \(split): relative error \(err)")
            }
        }
    }

    @Test("swapping the query and key rows of one block breaks parity")
    func swappedQueryKeyFails() throws {
        let f = try ModelFixture("default")
        var tensors = f.tensors
        let d = f.config.attnDim, width = f.config.embedDim
        for suffix in ["weight", "bias"] {
            let name = "blocks.0.attn.qkv.\(suffix)"
            guard let t = tensors[name] else { Issue.record("no \(name)"); return }
            var v = t.floats()
            let stride = suffix == "weight" ? width : 1
            let q = Array(v[0..<(d * stride)]), k = Array(v[(d * stride)..<(2 * d * stride)])
            v.replaceSubrange(0..<(d * stride), with: k)
            v.replaceSubrange((d * stride)..<(2 * d * stride), with: q)
            tensors[name] = try Tensor(shape: t.shape, float32: v)
        }
        let model = try VisionTransformer(config: f.config, tensors: tensors, threads: 1)
        let err = relativeError(try model.forward(f.input).floats(), f.logits)
        #expect(err > 100 * ParityTests.tolerance, "swapped q/k still within tolerance: \(err)")
    }

    @Test("reading the patch kernel as (P, P, C) instead of (C, P, P) breaks parity")
    func transposedPatchKernelFails() throws {
        let f = try ModelFixture("default")
        var tensors = f.tensors
        guard let t = tensors["patch_embed.proj.weight"] else { Issue.record("no patch kernel"); return }
        let s = t.shape, v = t.floats()
        var w = v
        let (c, p) = (s[1], s[2])
        for o in 0..<s[0] { for ci in 0..<c { for y in 0..<p { for x in 0..<p {
            w[((o * p + y) * p + x) * c + ci] = v[((o * c + ci) * p + y) * p + x]
        } } } }
        tensors["patch_embed.proj.weight"] = try Tensor(shape: s, float32: w)
        let model = try VisionTransformer(config: f.config, tensors: tensors, threads: 1)
        let err = relativeError(try model.forward(f.input).floats(), f.logits)
        #expect(err > 100 * ParityTests.tolerance)
    }

    @Test("each image's logits do not depend on the rest of the batch (beyond sgemm blocking)")
    func batchIndependence() throws {
        let f = try ModelFixture("registers")
        let model = try VisionTransformer(config: f.config, tensors: f.tensors, threads: 1)
        let all = try model.forward(f.input).floats()
        let per = f.input.shape.dropFirst().reduce(1, *)
        let x = f.input.floats()
        let ws = ViTWorkspace(for: model)
        for b in 0..<2 {
            let one = try Tensor(shape: model.inputShape(batch: 1), float32: Array(x[(b * per)..<((b + 1) * per)]))
            let out = try model.forward(one, workspace: ws).floats()
            // OpenBLAS blocks a product differently for 1 and 2 images: allow a few ulps.
            let row = Array(all[(b * model.outputWidth)..<((b + 1) * model.outputWidth)])
            #expect(relativeError(out, row) <= 2e-6)
        }
    }

    @Test("a reused workspace gives bit-identical results through the raw-buffer API")
    func workspaceReuse() throws {
        let f = try ModelFixture("layer_scale")
        let model = try VisionTransformer(config: f.config, tensors: f.tensors, threads: 2)
        let ws = ViTWorkspace(for: model, batchSize: 2)
        let x = f.input.floats()
        var a = [Float](repeating: 0, count: 2 * model.outputWidth), b = a
        try x.withUnsafeBufferPointer { xp in
            try a.withUnsafeMutableBufferPointer { try model.forward(images: xp, batchSize: 2, into: $0, workspace: ws) }
            try b.withUnsafeMutableBufferPointer { try model.forward(images: xp, batchSize: 2, into: $0, workspace: ws) }
        }
        #expect(a == b)
        #expect(relativeError(a, f.logits) <= ParityTests.tolerance)
    }

    @Test("a distilled model reads tokens 0 and 1 whatever global_pool says, as timm's distilled head")
    func distilledIgnoresPooling() throws {
        let f = try ModelFixture("distilled_fc_norm")
        var config = f.config
        config.globalPool = .avg          // what a mapping may infer from the fc_norm it finds
        let model = try VisionTransformer(config: config, tensors: f.tensors, threads: 1)
        let err = relativeError(try model.forward(f.input).floats(), f.logits)
        #expect(err <= ParityTests.tolerance, "relative error \(err)")
    }

    @Test("one workspace serves models of different sizes and a growing batch")
    func sharedWorkspace() throws {
        let ws = ViTWorkspace()
        for name in ["wide", "default", "wide", "nonsquare"] {
            let f = try ModelFixture(name)
            let model = try VisionTransformer(config: f.config, tensors: f.tensors, threads: 2)
            let err = relativeError(try model.forward(f.input, workspace: ws).floats(), f.logits)
            #expect(err <= ParityTests.tolerance, "\(name): relative error \(err)")
            #expect(ws.batchCapacity >= 2)
        }
    }

    @Test("an F16 checkpoint converted to F32 first gives the same logits")
    func halfPrecisionLoadsLikeItsF32Copy() throws {
        let f = try ModelFixture("f16")
        #expect(f.tensors["pos_embed"]?.dtype == .f16)
        let f32 = try f.tensors.mapValues { try $0.converted(to: .f32) }
        let a = try VisionTransformer(config: f.config, tensors: f.tensors, threads: 1).forward(f.input).floats()
        let b = try VisionTransformer(config: f.config, tensors: f32, threads: 1).forward(f.input).floats()
        #expect(a == b)
    }
}
