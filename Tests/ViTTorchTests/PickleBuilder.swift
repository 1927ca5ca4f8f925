import Foundation
import ViTZipTestSupport

/// Writes pickle opcodes by hand (protocol 2 unless told), for tests.
struct PickleBuilder {
    var bytes: [UInt8]

    init(proto: UInt8 = 2) { bytes = [0x80, proto] }

    mutating func op(_ o: UInt8) { bytes.append(o) }
    mutating func raw(_ b: [UInt8]) { bytes += b }
    mutating func mark() { op(0x28) }
    mutating func str(_ s: String) { op(0x58); bytes.le32(s.utf8.count); bytes += Array(s.utf8) }
    mutating func int(_ v: Int) {
        if (0...255).contains(v) {
            op(0x4B); op(UInt8(v))
        } else if Int(Int32.min)...Int(Int32.max) ~= v {
            op(0x4A); bytes.le32(v)
        } else {
            op(0x8A); op(8); bytes.le64(v)  // LONG1
        }
    }
    mutating func global(_ module: String, _ name: String) { op(0x63); bytes += Array("\(module)\n\(name)\n".utf8) }
    mutating func tuple(_ items: () -> Void) { mark(); items(); op(0x74) }
    mutating func emptyDict() { op(0x7D) }
    mutating func orderedDict() { global("collections", "OrderedDict"); op(0x29); op(0x52) }
    mutating func stop() { op(0x2E) }

    /// `_rebuild_tensor_v2(('storage', torch.<storageClass>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())`.
    mutating func tensor(key: String, storageClass: String = "FloatStorage", numel: Int, offset: Int = 0,
                         size: [Int], stride: [Int]? = nil) {
        global("torch._utils", "_rebuild_tensor_v2")
        mark()
        mark(); str("storage"); global("torch", storageClass); str(key); str("cpu"); int(numel); op(0x74)
        op(0x51)  // BINPERSID
        int(offset)
        mark(); for d in size { int(d) }; op(0x74)
        var st = stride ?? []
        if stride == nil {
            var acc = 1
            st = size.reversed().map { d -> Int in defer { acc *= d }; return acc }.reversed()
        }
        mark(); for s in st { int(s) }; op(0x74)
        op(0x89)  // False
        orderedDict()
        op(0x74)  // TUPLE (args)
        op(0x52)  // REDUCE
    }

    /// A top-level dict of `entries` (key, writer of the value), then STOP.
    static func dict(_ entries: [(String, (inout PickleBuilder) -> Void)]) -> [UInt8] {
        var p = PickleBuilder()
        p.emptyDict()
        p.mark()
        for (k, write) in entries { p.str(k); write(&p) }
        p.op(0x75)  // SETITEMS
        p.stop()
        return p.bytes
    }
}

/// A torch.save-style ZIP: `<archive>/data.pkl`, `<archive>/data/<key>`, `<archive>/byteorder`.
func torchZip(pickle: [UInt8], storages: [(String, [UInt8])], archive: String = "archive",
              byteorder: String? = "little", extra: [ZipBuilder.Member] = []) -> [UInt8] {
    var members: [ZipBuilder.Member] = [.init("\(archive)/data.pkl", pickle)]
    if let byteorder { members.append(.init("\(archive)/byteorder", Array(byteorder.utf8))) }
    for (key, bytes) in storages { members.append(.init("\(archive)/data/\(key)", bytes)) }
    members += extra
    members.append(.init("\(archive)/version", Array("3\n".utf8)))
    return ZipBuilder.build(members, zip64End: true).bytes
}

func floats(_ v: [Float]) -> [UInt8] { v.withUnsafeBytes { Array($0) } }
