import Foundation
import Testing
import ViTFormats
import ViTMapping
import ViTTensor

/// Well-formed files whose tensor shapes are hostile to the model: zero dimensions where a ViT needs a
/// positive size, shapes that contradict each other, heads that do not divide. Mapping must refuse
/// each with an error (never divide by zero, trap, or build a model with an empty dimension).
@Suite("hostile shapes: zero or contradictory model dimensions are refused by the mapping")
struct HostileShapeTests {
    /// A small timm ViT (D = 64, depth 1, 8×8 patches, 32×32 images, 10 classes) with `change` applied.
    static func infos(_ change: (inout [String: [Int]]) -> Void) -> [TensorInfo] {
        let base = timmTensorInfos(embedDim: 64, depth: 1, classes: 10, patch: 8, image: 32)
        var shapes = Dictionary(uniqueKeysWithValues: base.map { ($0.name, $0.shape) })
        change(&shapes)
        return base.compactMap { info in shapes[info.name].map { TensorInfo(name: info.name, dtype: .f32, shape: $0) } }
    }

    static let cases: [(String, [String: String], @Sendable (inout [String: [Int]]) -> Void)] = [
        ("a position embedding with no rows", ["num_heads": "2"], { $0["pos_embed"] = [1, 0, 64] }),
        ("a 0×0 patch kernel", ["num_heads": "2"], { $0["patch_embed.proj.weight"] = [64, 3, 0, 0] }),
        ("an embedding width of 0 everywhere", ["num_heads": "2"], { s in
            for (k, v) in s { s[k] = v.map { $0 == 64 ? 0 : $0 == 192 ? 0 : $0 == 256 ? 0 : $0 } }
            s["pos_embed"] = [1, 17, 0]
        }),
        ("a patch embedding of width 0 beside width-64 blocks", ["num_heads": "2"], { s in
            s["patch_embed.proj.weight"] = [0, 3, 8, 8]; s["patch_embed.proj.bias"] = [0]
        }),
        ("a qkv projection with no rows", ["num_heads": "2"], { s in
            s["blocks.0.attn.qkv.weight"] = [0, 64]; s["blocks.0.attn.qkv.bias"] = [0]
        }),
        ("an MLP of width 0", ["num_heads": "2"], { s in
            s["blocks.0.mlp.fc1.weight"] = [0, 64]; s["blocks.0.mlp.fc1.bias"] = [0]; s["blocks.0.mlp.fc2.weight"] = [64, 0]
        }),
        ("a position embedding that is not a square grid", ["num_heads": "2"], { $0["pos_embed"] = [1, 6, 64] }),
        ("two class tokens", ["num_heads": "2"], { $0["cls_token"] = [1, 2, 64] }),
        ("zero heads", ["num_heads": "0"], { _ in }),
        ("heads that do not divide the width", ["num_heads": "7"], { _ in }),
        ("a negative head count", ["num_heads": "-2"], { _ in }),
        ("a rank-1 patch kernel", ["num_heads": "2"], { $0["patch_embed.proj.weight"] = [64] }),
    ]

    @Test("each hostile model shape is refused by the mapping with an error naming the file")
    func refused() throws {
        let folder = makeTempFolder("shapes")
        defer { removeFolder(folder) }
        for (i, (what, metadata, change)) in Self.cases.enumerated() {
            let path = folder + "/case\(i).safetensors"
            try writeRandomCheckpoint(path, Self.infos(change), seed: UInt64(i), metadata: metadata)
            let error = thrownError {
                let source = try CheckpointOpener.open(path)
                _ = try ViTMapper.loadCanonical(source)
            }
            #expect(error != nil, "\(what): mapped without an error")
            if let error { #expect("\(error)".contains(path), "\(what): \(error)") }
        }
    }

    @Test("the unchanged small model maps (the cases above differ from it only in the named tensor)")
    func baseline() throws {
        let folder = makeTempFolder("shapes-ok")
        defer { removeFolder(folder) }
        let path = folder + "/ok.safetensors"
        try writeRandomCheckpoint(path, Self.infos { _ in }, seed: 99, metadata: ["num_heads": "2"])
        let canonical = try ViTMapper.loadCanonical(try CheckpointOpener.open(path))
        #expect(canonical.config.embedDim == 64 && canonical.config.numHeads == 2)
    }
}
