import ViTTensor

/// The binary protocol between ViTKit and its isolated HDF5 reader (`vit-hdf5-reader`, C, in
/// Sources/vit-hdf5-reader; the C side's constants are in reader.h). Every message is a little-endian
/// `u32 tag, u32 length` header and `length` payload bytes; strings are `u32 length` + UTF-8 bytes.
/// Nothing the reader sends is trusted: every length is checked against what is left and against the
/// limits below before anything is allocated, every code against its known values.
package enum HDF5Wire {
    package static let version: UInt32 = 1
    /// The largest payload accepted (a root attribute list, a long error stack).
    package static let maxPayload = 64 << 20
    /// The largest error stack accepted (the reader sends at most 64 lines).
    static let maxStack = 1024

    enum Tag: UInt32 {
        case opened = 1, group, link, dataset, unreadable, attributes, end, error, readDone
    }
    static let requestRead: UInt32 = 101
    static let requestAttributes: UInt32 = 102

    /// The dtypes by wire code.
    static let dtypes: [UInt8: DType] = [1: .f16, 2: .bf16, 3: .f32, 4: .f64, 5: .i8, 6: .u8, 7: .i16, 8: .u16,
                                         9: .i32, 10: .u32, 11: .i64, 12: .u64, 13: .bool]
}

/// A violation of the protocol by the reader: a bad length, code or order.
struct WireViolation: Error {
    let detail: String
}

/// A strict cursor over one message's payload.
struct WireReader {
    private let bytes: [UInt8]
    private var position: Int
    private let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        position = start
        self.end = end ?? bytes.count
    }

    var remaining: Int { end - position }
    var isAtEnd: Bool { position == end }

    mutating func u8() throws(WireViolation) -> UInt8 {
        guard remaining >= 1 else { throw WireViolation(detail: "a message ends inside a number") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u32() throws(WireViolation) -> UInt32 {
        guard remaining >= 4 else { throw WireViolation(detail: "a message ends inside a number") }
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(bytes[position + k]) << (8 * k) }
        position += 4
        return v
    }

    mutating func u64() throws(WireViolation) -> UInt64 {
        guard remaining >= 8 else { throw WireViolation(detail: "a message ends inside a number") }
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[position + k]) << (8 * k) }
        position += 8
        return v
    }

    /// A count of items each at least `itemSize` bytes long, checked against what is left.
    mutating func count(itemSize: Int, limit: Int = .max) throws(WireViolation) -> Int {
        let n = Int(try u32())
        guard n <= limit, n <= remaining / max(itemSize, 1) else {
            throw WireViolation(detail: "a count of \(n) exceeds the \(remaining) bytes left")
        }
        return n
    }

    mutating func string() throws(WireViolation) -> String {
        let n = Int(try u32())
        guard n <= remaining else { throw WireViolation(detail: "a string of \(n) bytes exceeds the \(remaining) bytes left") }
        defer { position += n }
        return String(decoding: bytes[position..<(position + n)], as: UTF8.self)
    }

    /// An object path: absolute, without NUL.
    mutating func path() throws(WireViolation) -> String {
        let p = try string()
        guard p.hasPrefix("/"), !p.utf8.contains(0) else { throw WireViolation(detail: "'\(p.prefix(80))' is not an object path") }
        return p
    }

    func expectEnd() throws(WireViolation) {
        guard isAtEnd else { throw WireViolation(detail: "\(remaining) bytes left over in a message") }
    }
}

/// What the reader sends for one message, decoded.
enum WireMessage {
    case opened(version: UInt32)
    case group(String)
    case link(HDF5Link)
    case dataset(path: String, plan: DatasetPlan, dims: [UInt64], directOffset: UInt64?)
    case unreadable(path: String, error: HDF5Error)
    case attributes([String: HDF5Attribute])
    case end
    case error(HDF5Error)
    case readDone

    /// Decodes one message; `file` is put into errors (the reader never names the file).
    static func decode(tag: UInt32, payload: [UInt8], file: String) throws(WireViolation) -> WireMessage {
        guard let kind = HDF5Wire.Tag(rawValue: tag) else { throw WireViolation(detail: "unknown message tag \(tag)") }
        var r = WireReader(payload)
        let message: WireMessage
        switch kind {
        case .opened: message = .opened(version: try r.u32())
        case .group: message = .group(try r.path())
        case .link:
            let code = try r.u8()
            let path = try r.path()
            let target = try r.string()
            guard let kind: HDF5Link.Kind = [0: .soft, 1: .external, 2: .userDefined][code] else {
                throw WireViolation(detail: "unknown link kind \(code)")
            }
            message = .link(HDF5Link(path: path, kind: kind, target: target))
        case .dataset: message = try decodeDataset(&r)
        case .unreadable:
            let path = try r.path()
            message = .unreadable(path: path, error: try decodeError(&r, file: file))
        case .attributes: message = .attributes(try decodeAttributes(&r))
        case .end: message = .end
        case .error: message = .error(try decodeError(&r, file: file))
        case .readDone: message = .readDone
        }
        try r.expectEnd()
        return message
    }

    private static func decodeDataset(_ r: inout WireReader) throws(WireViolation) -> WireMessage {
        let path = try r.path()
        let (code, memory, memoryCode) = (try r.u8(), try r.u8(), try r.u8())
        guard let dtype = HDF5Wire.dtypes[code], let memoryDType = HDF5Wire.dtypes[memoryCode] else {
            throw WireViolation(detail: "unknown dtype code \(code)/\(memoryCode)")
        }
        let plan: DatasetPlan
        switch memory {
        case 0 where memoryDType == dtype && dtype != .bool, 0 where dtype == .bf16 && memoryDType == .u16:
            plan = DatasetPlan(dtype: dtype, memory: .standard(memoryDType))
        case 1 where memoryDType == dtype && (dtype == .bf16 || dtype == .bool):
            plan = DatasetPlan(dtype: dtype, memory: .stored)
        default:
            throw WireViolation(detail: "inconsistent read plan \(code)/\(memory)/\(memoryCode)")
        }
        let rank = try r.count(itemSize: 8, limit: 32)
        var dims: [UInt64] = []
        for _ in 0..<rank { dims.append(try r.u64()) }
        let offset = try r.u64()
        return .dataset(path: path, plan: plan, dims: dims, directOffset: offset == .max ? nil : offset)
    }

    static func decodeError(_ r: inout WireReader, file: String) throws(WireViolation) -> HDF5Error {
        let kind = try r.u8()
        switch kind {
        case 0:
            let operation = try r.string()
            let depth = try r.count(itemSize: 4, limit: HDF5Wire.maxStack)
            var stack: [String] = []
            for _ in 0..<depth { stack.append(try r.string()) }
            return .library(file: file, operation: operation, stack: stack)
        case 1:
            return .unsupportedType(file: file, dataset: try r.path(), hdf5Class: try r.string(), detail: try r.string())
        case 2:
            let dataset = try r.path()
            let size = try r.u64()
            guard let byteSize = Int(exactly: size) else { throw WireViolation(detail: "an opaque size of \(size)") }
            return .unknownOpaque(file: file, dataset: dataset, byteSize: byteSize, tag: try r.string())
        case 3:
            return .unsupportedDataspace(file: file, dataset: try r.path(), kind: try r.string())
        case 4:
            return .linkCycle(file: file, path: try r.path())
        case 5:
            return .unsupportedAttribute(file: file, object: try r.path(), attribute: try r.string(), detail: try r.string())
        default:
            throw WireViolation(detail: "unknown error kind \(kind)")
        }
    }

    static func decodeAttributes(_ r: inout WireReader) throws(WireViolation) -> [String: HDF5Attribute] {
        let count = try r.count(itemSize: 6)
        var out: [String: HDF5Attribute] = [:]
        for _ in 0..<count {
            let name = try r.string()
            let kind = try r.u8()
            let value: HDF5Attribute
            switch kind {
            case 0: value = .int(Int64(bitPattern: try r.u64()))
            case 1: value = .float(Double(bitPattern: try r.u64()))
            case 2: value = .string(try r.string())
            case 3:
                let n = try r.count(itemSize: 8)
                var vs: [Int64] = []
                vs.reserveCapacity(n)
                for _ in 0..<n { vs.append(Int64(bitPattern: try r.u64())) }
                value = .ints(vs)
            case 4:
                let n = try r.count(itemSize: 8)
                var vs: [Double] = []
                vs.reserveCapacity(n)
                for _ in 0..<n { vs.append(Double(bitPattern: try r.u64())) }
                value = .floats(vs)
            case 5:
                let n = try r.count(itemSize: 4)
                var vs: [String] = []
                vs.reserveCapacity(n)
                for _ in 0..<n { vs.append(try r.string()) }
                value = .strings(vs)
            default:
                throw WireViolation(detail: "unknown attribute kind \(kind)")
            }
            guard out.updateValue(value, forKey: name) == nil else { throw WireViolation(detail: "attribute '\(name)' sent twice") }
        }
        return out
    }
}

/// Assembles the catalogue from the reader's messages, in order: OPENED, then GROUP / LINK / DATASET /
/// UNREADABLE in walk order, the root's ATTRIBUTES, END. An ERROR ends it with the reader's error.
struct CatalogueBuilder {
    let file: String
    private(set) var walk = WalkResult()
    /// Aligned with `walk.datasets`: the reader's index of each DATASET message and its direct offset.
    private(set) var entries: [(index: Int, offset: UInt64?)] = []
    private var datasetMessages = 0
    private(set) var rootAttributes: [String: HDF5Attribute]?
    private(set) var finished = false
    private var opened = false
    /// At most this many objects (a hostile reader could otherwise grow the lists without bound).
    static let maxObjects = 1 << 22

    init(file: String) { self.file = file }

    /// Takes one message; throws the reader's error when it sends one.
    mutating func take(_ message: WireMessage) throws(HDF5Error) -> Void? {
        if case let .error(e) = message { throw e }
        do throws(WireViolation) {
            try accept(message)
        } catch {
            throw .readerFailed(file: file, operation: "opening the file", detail: "the reader broke the protocol: \(error.detail)")
        }
        return ()
    }

    private mutating func accept(_ message: WireMessage) throws(WireViolation) {
        func violation(_ detail: String) -> WireViolation { WireViolation(detail: detail) }
        guard !finished else { throw violation("a message after the catalogue's end") }
        guard opened else {
            guard case let .opened(version) = message, version == HDF5Wire.version else {
                throw violation("the catalogue does not begin with OPENED version \(HDF5Wire.version)")
            }
            opened = true
            return
        }
        guard walk.datasets.count + walk.groups.count + walk.links.count < Self.maxObjects else {
            throw violation("more than \(Self.maxObjects) objects")
        }
        switch message {
        case let .group(p) where rootAttributes == nil:
            walk.groups.append(p)
        case let .link(l) where rootAttributes == nil:
            walk.links.append(l)
        case let .dataset(p, plan, dims, offset) where rootAttributes == nil:
            walk.datasets.append(WalkedDataset.make(path: p, dims: dims, plan: plan, file: file))
            entries.append((datasetMessages, offset))
            datasetMessages += 1
        case let .unreadable(p, error) where rootAttributes == nil:
            walk.datasets.append(WalkedDataset(path: p, name: HDF5Walker.flatName(p), shape: [], plan: .failure(error)))
            entries.append((-1, nil))
        case let .attributes(a) where rootAttributes == nil:
            rootAttributes = a
        case .end where rootAttributes != nil:
            finished = true
        default:
            throw violation("an unexpected message in the catalogue")
        }
    }
}


extension WalkedDataset {
    /// A dataset from raw dimensions: too-large shapes become an unreadable entry, as the in-process walk does.
    static func make(path: String, dims: [UInt64], plan: DatasetPlan, file: String) -> WalkedDataset {
        let name = HDF5Walker.flatName(path)
        let tooLarge = HDF5Error.tooLarge(file: file, dataset: path, shape: dims, elementSize: plan.dtype.byteSize)
        var shape: [Int] = []
        for d in dims {
            guard let v = Int(exactly: d) else { return WalkedDataset(path: path, name: name, shape: [], plan: .failure(tooLarge)) }
            shape.append(v)
        }
        guard Shape.byteCount(shape, dtype: plan.dtype) != nil else {
            return WalkedDataset(path: path, name: name, shape: [], plan: .failure(tooLarge))
        }
        return WalkedDataset(path: path, name: name, shape: shape, plan: .success(plan))
    }
}

/// Parses a whole catalogue stream (the bytes the reader sends before its first reply): the entry point
/// of the `fuzz-hdf5-stream` harness. Returns the number of objects, or throws the error ViTKit reports.
package func parseCatalogueStream(_ bytes: [UInt8], file: String) throws(HDF5Error) -> Int {
    var builder = CatalogueBuilder(file: file)
    var position = 0
    while !builder.finished {
        var header = WireReader(bytes, from: position)
        let tag: UInt32, length: Int
        do throws(WireViolation) {
            guard header.remaining >= 8 else { throw WireViolation(detail: "the stream ends before the catalogue's end") }
            tag = try header.u32()
            length = Int(try header.u32())
            guard length <= HDF5Wire.maxPayload, length <= header.remaining else {
                throw WireViolation(detail: "a message of \(length) bytes exceeds the stream")
            }
        } catch {
            throw .readerFailed(file: file, operation: "opening the file", detail: "the reader broke the protocol: \(error.detail)")
        }
        let payload = Array(bytes[(position + 8)..<(position + 8 + length)])
        position += 8 + length
        let message: WireMessage
        do { message = try WireMessage.decode(tag: tag, payload: payload, file: file) } catch {
            throw .readerFailed(file: file, operation: "opening the file", detail: "the reader broke the protocol: \(error.detail)")
        }
        _ = try builder.take(message)
    }
    return builder.walk.datasets.count + builder.walk.groups.count + builder.walk.links.count
}
