import Foundation
import ViTZipTestSupport

/// Pickle opcodes written by hand (protocol 2 unless told), for hostile checkpoints.
struct Pickle {
    var bytes: [UInt8]

    init(proto: UInt8 = 2) { bytes = [0x80, proto] }

    mutating func op(_ o: UInt8) { bytes.append(o) }
    mutating func mark() { op(0x28) }
    /// BINUNICODE.
    mutating func str(_ s: String) { op(0x58); bytes += le32(UInt32(s.utf8.count)) + Array(s.utf8) }
    /// BININT1 / BININT.
    mutating func int(_ v: Int) {
        if (0...255).contains(v) { op(0x4B); op(UInt8(v)) } else { op(0x4A); bytes += le32(UInt32(truncatingIfNeeded: v)) }
    }
    /// GLOBAL `module\nname\n`.
    mutating func global(_ module: String, _ name: String) { op(0x63); bytes += Array("\(module)\n\(name)\n".utf8) }
    /// MARK items TUPLE.
    mutating func tuple(_ items: (inout Pickle) -> Void) { mark(); items(&self); op(0x74) }
    mutating func stop() { op(0x2E) }

    /// `_rebuild_tensor_v2(('storage', torch.FloatStorage, key, 'cpu', numel), 0, size, stride, False, OrderedDict())`.
    mutating func tensor(key: String, numel: Int, size: [Int]) {
        global("torch._utils", "_rebuild_tensor_v2")
        tuple { p in
            p.tuple { q in q.str("storage"); q.global("torch", "FloatStorage"); q.str(key); q.str("cpu"); q.int(numel) }
            p.op(0x51)  // BINPERSID
            p.int(0)
            p.tuple { q in for d in size { q.int(d) } }
            var acc = 1
            let stride = size.reversed().map { d -> Int in defer { acc *= d }; return acc }.reversed()
            p.tuple { q in for s in stride { q.int(s) } }
            p.op(0x89)  // NEWFALSE
            p.global("collections", "OrderedDict"); p.op(0x29); p.op(0x52)  // OrderedDict()
        }
        op(0x52)  // REDUCE
    }

    /// `{key: <value written by body>}` then STOP.
    static func dict(_ key: String, _ body: (inout Pickle) -> Void) -> [UInt8] {
        var p = Pickle()
        p.op(0x7D)  // EMPTY_DICT
        p.str(key)
        body(&p)
        p.op(0x73)  // SETITEM
        p.stop()
        return p.bytes
    }
}

/// A torch.save-style ZIP holding `pickle` as `archive/data.pkl` and `storages` as `archive/data/KEY`.
func torchZip(pickle: [UInt8], storages: [(String, [UInt8])] = []) -> [UInt8] {
    var members: [ZipBuilder.Member] = [.init("archive/data.pkl", pickle), .init("archive/byteorder", Array("little".utf8))]
    for (key, bytes) in storages { members.append(.init("archive/data/\(key)", bytes)) }
    members.append(.init("archive/version", Array("3\n".utf8)))
    return ZipBuilder.build(members, zip64End: true).bytes
}
