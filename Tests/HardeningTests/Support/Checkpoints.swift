import Foundation
import ViTBin
import ViTFormats
import ViTSafetensors
import ViTTensor
import ViTTestSupport

/// The tensors of a timm `VisionTransformer` state dict (canonical names and order, class token, qkv
/// bias, final norm, a head), for checkpoints made in tests.
func timmTensorInfos(embedDim d: Int, depth: Int, mlpDim: Int? = nil, classes: Int = 1000, patch: Int = 16,
                     image: Int = 224, dtype: DType = .f32) -> [TensorInfo] {
    let m = mlpDim ?? 4 * d
    let grid = image / patch
    var t: [(String, [Int])] = [
        ("cls_token", [1, 1, d]), ("pos_embed", [1, grid * grid + 1, d]),
        ("patch_embed.proj.weight", [d, 3, patch, patch]), ("patch_embed.proj.bias", [d]),
    ]
    for i in 0..<depth {
        let b = "blocks.\(i)."
        t += [(b + "norm1.weight", [d]), (b + "norm1.bias", [d]),
              (b + "attn.qkv.weight", [3 * d, d]), (b + "attn.qkv.bias", [3 * d]),
              (b + "attn.proj.weight", [d, d]), (b + "attn.proj.bias", [d]),
              (b + "norm2.weight", [d]), (b + "norm2.bias", [d]),
              (b + "mlp.fc1.weight", [m, d]), (b + "mlp.fc1.bias", [m]),
              (b + "mlp.fc2.weight", [d, m]), (b + "mlp.fc2.bias", [d])]
    }
    t += [("norm.weight", [d]), ("norm.bias", [d]), ("head.weight", [classes, d]), ("head.bias", [classes])]
    return t.map { TensorInfo(name: $0.0, dtype: dtype, shape: $0.1) }
}

/// Writes a safetensors checkpoint of `infos` filled with deterministic pseudo-random F32 values of
/// magnitude in [2^-7, 2^-6) and random sign (finite, never NaN), with `metadata`.
/// - Returns: the file's size in bytes.
@discardableResult
func writeRandomCheckpoint(_ path: String, _ infos: [TensorInfo], seed: UInt64, metadata: [String: String] = [:]) throws -> Int {
    var rng = SplitMix64(state: seed)
    let w = try SafetensorsWriter(path: path, tensors: infos, metadata: metadata, overwrite: true)
    for info in infos {
        try w.write(info.name) { buf in
            let floats = buf.bindMemory(to: UInt32.self)
            var i = 0
            while i < floats.count {
                let r = rng.next()
                floats[i] = 0x3C00_0000 | UInt32(truncatingIfNeeded: r & 0x807F_FFFF)
                if i + 1 < floats.count { floats[i + 1] = 0x3C00_0000 | UInt32(truncatingIfNeeded: (r >> 32) & 0x807F_FFFF) }
                i += 2
            }
        }
    }
    try w.finish()
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : 0
}

/// A digest of a checkpoint's tensors (names, dtypes, shapes and bytes, in container order), read
/// through the opener every tool uses (which validates the file: a `.bin` checksum, safetensors offsets,
/// HDF5 structure). Nil when the file does not open or a tensor does not read.
func tensorDigest(_ path: String) -> UInt64? {
    guard let source = try? CheckpointOpener.open(path) else { return nil }
    var h = XXHash64(seed: 7)
    for info in source.tensorInfos {
        h.update(Array("\(info.name)|\(info.dtype.rawValue)|\(info.shape)".utf8))
        guard let t = try? source.tensor(named: info.name) else { return nil }
        t.withUnsafeBytes { h.update($0) }
    }
    return h.finalize()
}
