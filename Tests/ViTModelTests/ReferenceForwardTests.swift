import Foundation
import Testing
import ViTTensor
@testable import ViTModel
@testable import ViTRuntime

/// A plain, scalar, Double-precision forward pass written straight from timm's source, used to check
/// option combinations timm itself cannot build (e.g. distilled + pre-logits + registers).
struct ReferenceViT {
    let c: ViTConfig
    let w: [String: [Double]]

    init(config: ViTConfig, tensors: [String: Tensor]) {
        c = config
        w = tensors.mapValues { $0.floats().map(Double.init) }
    }

    func p(_ name: String) -> [Double] { w[name] ?? [] }

    func layerNorm(_ x: [Double], _ prefix: String) -> [Double] {
        let mean = x.reduce(0, +) / Double(x.count)
        let v = x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(x.count)
        let g = p(prefix + ".weight"), b = p(prefix + ".bias")
        return x.indices.map { (x[$0] - mean) / (v + c.layerNormEps).squareRoot() * g[$0] + b[$0] }
    }

    /// y = W·x + b with W (out, in).
    func linear(_ x: [Double], _ prefix: String, bias: Bool = true) -> [Double] {
        let wt = p(prefix + ".weight"), n = x.count, out = wt.count / n
        let b = bias ? p(prefix + ".bias") : [Double](repeating: 0, count: out)
        return (0..<out).map { o in b[o] + (0..<n).reduce(0.0) { $0 + wt[o * n + $1] * x[$1] } }
    }

    func gelu(_ v: Double) -> Double { 0.5 * v * (1 + erf(v / 2.0.squareRoot())) }

    /// One image (C·H·W, NCHW) to its output row.
    func forward(_ img: [Double]) -> [Double] {
        let (ph, pw) = (c.patchSize[0], c.patchSize[1]), (gh, gw) = (c.gridSize[0], c.gridSize[1])
        let (H, W) = (c.imageSize[0], c.imageSize[1]), D = c.embedDim
        var patches: [[Double]] = []
        for gy in 0..<gh {
            for gx in 0..<gw {
                var v: [Double] = []
                for ch in 0..<c.inChannels { for y in 0..<ph { for x in 0..<pw {
                    v.append(img[(ch * H + gy * ph + y) * W + gx * pw + x])
                } } }
                if c.patchNormPre { v = layerNorm(v, "patch_embed.norm_pre") }
                var e = linear(v, "patch_embed.proj", bias: c.patchBias)
                if c.patchNormPost { e = layerNorm(e, "patch_embed.norm") }
                patches.append(e)
            }
        }
        var prefix: [[Double]] = []
        if c.classToken { prefix.append(p("cls_token")) }
        if c.distilled { prefix.append(p("dist_token")) }
        let reg = p("reg_token")
        for r in 0..<c.registerTokens { prefix.append(Array(reg[(r * D)..<((r + 1) * D)])) }
        let pos = p("pos_embed")
        func addPos(_ rows: [[Double]]) -> [[Double]] {
            rows.enumerated().map { i, r in r.indices.map { r[$0] + pos[i * D + $0] } }
        }
        var x = c.noEmbedClass ? prefix + addPos(patches) : addPos(prefix + patches)
        if c.normPre { x = x.map { layerNorm($0, "norm_pre") } }
        let heads = c.numHeads, hd = c.headDim, A = c.attnDim
        for i in 0..<c.depth {
            let b = "blocks.\(i)."
            let qkv = x.map { linear(layerNorm($0, b + "norm1"), b + "attn.qkv", bias: c.qkvBias) }
            var attended = [[Double]](repeating: [Double](repeating: 0, count: A), count: x.count)
            for h in 0..<heads {
                for t in x.indices {
                    let q = (0..<hd).map { qkv[t][h * hd + $0] }
                    let s = x.indices.map { u in (0..<hd).reduce(0.0) { $0 + q[$1] * qkv[u][A + h * hd + $1] } / Double(hd).squareRoot() }
                    let m = s.max() ?? 0
                    let e = s.map { exp($0 - m) }, total = e.reduce(0, +)
                    for d in 0..<hd {
                        attended[t][h * hd + d] = x.indices.reduce(0.0) { $0 + e[$1] / total * qkv[$1][2 * A + h * hd + d] }
                    }
                }
            }
            let g1 = c.layerScale ? p(b + "ls1.gamma") : [Double](repeating: 1, count: D)
            let g2 = c.layerScale ? p(b + "ls2.gamma") : [Double](repeating: 1, count: D)
            for t in x.indices {
                let a = linear(attended[t], b + "attn.proj")
                x[t] = x[t].indices.map { x[t][$0] + g1[$0] * a[$0] }
                let m = linear(linear(layerNorm(x[t], b + "norm2"), b + "mlp.fc1").map(gelu), b + "mlp.fc2")
                x[t] = x[t].indices.map { x[t][$0] + g2[$0] * m[$0] }
            }
        }
        if c.finalNorm { x = x.map { layerNorm($0, "norm") } }
        var streams: [[Double]]
        switch c.distilled ? .token : c.globalPool {
        case .token:
            streams = c.distilled ? [x[0], x[1]] : [x[0]]
        case .avg:
            let rows = x[c.numPrefixTokens...]
            streams = [(0..<D).map { d in rows.reduce(0.0) { $0 + $1[d] } / Double(rows.count) }]
        case .tokenAvg:
            let rows = x[c.numPrefixTokens...]
            streams = [x[0] + (0..<D).map { d in rows.reduce(0.0) { $0 + $1[d] } / Double(rows.count) }]
        case .map:
            Issue.record("the double-precision reference has no attention pool; the families fixtures cover it")
            streams = [x[0]]
        }
        if c.fcNorm && !c.distilled { streams = streams.map { layerNorm($0, "fc_norm") } }
        if c.preLogitsDim != nil {
            streams = streams.map { s in
                linear(s, "pre_logits.fc").map { c.preLogitsActivation == .gelu ? gelu($0) : tanh($0) }
            }
        }
        if c.numClasses == 0 {
            return streams.count == 2 ? streams[0].indices.map { (streams[0][$0] + streams[1][$0]) / 2 } : streams[0]
        }
        let y = linear(streams[0], "head")
        guard c.distilled else { return y }
        let y2 = linear(streams[1], "head_dist")
        return y.indices.map { (y[$0] + y2[$0]) / 2 }
    }
}

@Suite("Forward against a scalar Double reference")
struct ReferenceForwardTests {
    static let configs: [(String, ViTConfig)] = [
        ("distilled, registers, pre-logits tanh, LayerScale",
         ViTConfig(imageSize: [8, 12], patchSize: [4, 4], embedDim: 8, depth: 2, numHeads: 2, registerTokens: 2,
                   layerScale: true, preLogitsDim: 6, distilled: true, numClasses: 5)),
        ("avg pool with both norm and fc_norm, norm_pre, patch norms, no patch bias",
         ViTConfig(imageSize: [8, 8], patchSize: [2, 4], inChannels: 2, embedDim: 16, depth: 1, numHeads: 4,
                   attnDim: 8, mlpHiddenDim: 20, qkvBias: false, globalPool: .avg, finalNorm: true, fcNorm: true,
                   normPre: true, patchBias: false, patchNormPre: true, patchNormPost: true, numClasses: 3)),
        ("distilled without a head, no_embed_class, pre-logits GELU",
         ViTConfig(imageSize: [4, 4], patchSize: [2, 2], embedDim: 10, depth: 1, numHeads: 1, noEmbedClass: true,
                   preLogitsDim: 7, preLogitsActivation: .gelu, distilled: true, numClasses: 0)),
        ("a single patch, no class token: attention over one token",
         ViTConfig(imageSize: [3, 3], patchSize: [3, 3], inChannels: 1, embedDim: 4, depth: 1, numHeads: 2,
                   classToken: false, globalPool: .avg, fcNorm: true, numClasses: 2)),
        ("token_avg pooling (class token and patch mean) with registers and LayerScale",
         ViTConfig(imageSize: [8, 8], patchSize: [4, 4], embedDim: 8, depth: 2, numHeads: 2, registerTokens: 2,
                   globalPool: .tokenAvg, layerScale: true, numClasses: 3)),
    ]

    @Test("option combinations agree with the reference to 1e-5", arguments: 0..<5)
    func agrees(index: Int) throws {
        let (label, config) = ReferenceForwardTests.configs[index]
        let tensors = try syntheticTensors(config, seed: UInt64(index + 3))
        let reference = ReferenceViT(config: config, tensors: tensors)
        let per = config.inChannels * config.imageSize[0] * config.imageSize[1]
        let input = (0..<(2 * per)).map { Float(sin(Double($0) * 0.9)) }
        for (threads, split) in [(1, VisionTransformer.Split.auto), (2, .rows), (2, .columns)] {
            let weights = try ViTWeights(config: config, tensors: tensors)
            let model = VisionTransformer(weights: weights, threads: threads, split: split, minimumChunkRows: 1)
            let out = try model.forward(try Tensor(shape: model.inputShape(batch: 2), float32: input)).floats()
            var expected: [Float] = []
            for b in 0..<2 {
                expected += reference.forward(input[(b * per)..<((b + 1) * per)].map(Double.init)).map(Float.init)
            }
            #expect(out.count == expected.count)
            let err = relativeError(out, expected)
            #expect(err <= 1e-5, "\(label), \(threads) thread(s) by \(split): relative error \(err)")
        }
    }
}
