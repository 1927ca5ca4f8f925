import ViTTensor
import ViTZip

/// Writes a state dict as `torch.save` does (the zip format of PyTorch ≥ 1.6): `archive/data.pkl` (pickle protocol 2:
/// a `collections.OrderedDict` of `torch._utils._rebuild_tensor_v2` calls whose storages are persistent ids),
/// `archive/byteorder`, one stored member `archive/data/N` per tensor (64-byte aligned), and `archive/version`.
/// `torch.load(path, weights_only=True)` loads it.
public enum TorchSaveWriter {
    /// The storage class `torch.load` rebuilds for a dtype.
    static func storageClass(_ d: DType) -> String? {
        switch d {
        case .f32: return "FloatStorage"
        case .f16: return "HalfStorage"
        case .bf16: return "BFloat16Storage"
        case .f64: return "DoubleStorage"
        default: return nil
        }
    }

    /// Writes `stateDict` (names and tensors, in state-dict order) to `path` atomically.
    /// - Throws: `TorchError.unsupportedDType`, `ZipWriterError`, `AtomicFileError`.
    public static func write(stateDict: [(String, Tensor)], to path: String, overwrite: Bool, archiveName: String = "archive") throws {
        let zip = try ZipWriter(path: path, alignment: 64, overwrite: overwrite)
        try zip.add(archiveName + "/data.pkl", try pickle(stateDict))
        try zip.add(archiveName + "/byteorder", Array("little".utf8))
        for (i, (_, t)) in stateDict.enumerated() {
            try t.withUnsafeBytes { try zip.add("\(archiveName)/data/\(i)", $0) }
        }
        try zip.add(archiveName + "/version", Array("3\n".utf8))
        try zip.finish()
    }

    /// The `data.pkl` bytes for a state dict (tensor `i` in storage `"i"`).
    /// - Throws: `TorchError.unsupportedDType` for a dtype torch has no storage class for here.
    public static func pickle(_ stateDict: [(String, Tensor)]) throws -> [UInt8] {
        var p = PickleWriter()
        p.proto2()
        p.global("collections", "OrderedDict"); p.emptyTuple(); p.reduce()
        p.mark()
        for (i, (name, t)) in stateDict.enumerated() {
            guard let storage = storageClass(t.dtype) else {
                throw TorchError.unsupportedDType(file: "(writing)", tensor: name, dtype: t.dtype.rawValue)
            }
            p.string(name)
            p.global("torch._utils", "_rebuild_tensor_v2")
            p.mark()
            p.mark(); p.string("storage"); p.global("torch", storage); p.string(String(i)); p.string("cpu"); p.int(t.elementCount); p.tuple()
            p.binpersid()
            p.int(0)
            p.mark(); for s in t.shape { p.int(s) }; p.tuple()
            var strides = [Int](repeating: 1, count: t.shape.count)
            for k in stride(from: t.shape.count - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * t.shape[k + 1] }
            p.mark(); for s in strides { p.int(s) }; p.tuple()
            p.newFalse()
            p.global("collections", "OrderedDict"); p.emptyTuple(); p.reduce()
            p.tuple()
            p.reduce()
        }
        p.setItems()
        p.stop()
        return p.bytes
    }
}

/// The pickle opcodes a state dict needs (protocol 2).
struct PickleWriter {
    var bytes: [UInt8] = []

    mutating func proto2() { bytes += [0x80, 2] }
    mutating func global(_ module: String, _ name: String) { bytes.append(0x63); bytes += Array("\(module)\n\(name)\n".utf8) }
    mutating func emptyTuple() { bytes.append(0x29) }
    mutating func reduce() { bytes.append(0x52) }
    mutating func mark() { bytes.append(0x28) }
    mutating func tuple() { bytes.append(0x74) }
    mutating func setItems() { bytes.append(0x75) }
    mutating func binpersid() { bytes.append(0x51) }
    mutating func newFalse() { bytes.append(0x89) }
    mutating func stop() { bytes.append(0x2e) }

    mutating func string(_ s: String) {
        let u = Array(s.utf8)
        bytes.append(0x58)
        u32(UInt32(u.count))
        bytes += u
    }

    mutating func int(_ v: Int) {
        if v >= 0 && v < 256 { bytes += [0x4b, UInt8(v)]; return }
        if v >= 0 && v < 65536 { bytes += [0x4d, UInt8(v & 0xff), UInt8(v >> 8)]; return }
        if v >= Int(Int32.min) && v <= Int(Int32.max) { bytes.append(0x4a); u32(UInt32(bitPattern: Int32(v))); return }
        // LONG1: little-endian two's complement, shortest form.
        var le: [UInt8] = []
        var x = v
        repeat { le.append(UInt8(truncatingIfNeeded: x)); x >>= 8 } while !(x == 0 && le.last! < 0x80) && !(x == -1 && le.last! >= 0x80)
        bytes += [0x8a, UInt8(le.count)] + le
    }

    private mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8((v >> (8 * UInt32(i))) & 0xff)) } }
}
