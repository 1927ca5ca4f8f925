import ViTTensor

/// A restricted pickle reader for `torch.save` state dicts, in pure Swift. It never executes
/// anything: it understands the protocol 2–5 opcodes that build dicts, lists, tuples, strings,
/// numbers and the memo, names only the globals of `AllowedGlobal`, calls only the tensor and
/// OrderedDict rebuilders (interpreting them itself), and resolves persistent ids as torch storages.
/// Every other global, call, `BUILD` target or opcode is refused at the byte where it appears.
///
/// Every length is checked against the bytes left before anything is allocated; the stack, the
/// marks, the memo and the number of operations are bounded; nothing recurses over values, so
/// nesting depth cannot exhaust the call stack.
struct Unpickler {
    /// Resource bounds.
    struct Limits: Sendable {
        /// Values on the stack at once.
        var stack = 1 << 20
        /// Open marks at once.
        var marks = 1 << 16
        /// Memo entries.
        var memo = 1 << 22
        /// Opcodes executed (bounds the memory a pickle can make us use: each opcode adds a few values at most).
        var operations = 1 << 23
        /// Bytes in a text line (`GLOBAL` names, `PUT`/`GET` keys).
        var textLine = 4096
    }

    private let bytes: UnsafeRawBufferPointer
    private let limits: Limits
    private var pos = 0
    private var opStart = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var storages: [String: PickleStorage] = [:]
    /// Owns every container made; release it after extracting what is needed.
    let arena = PickleArena()

    init(_ bytes: UnsafeRawBufferPointer, limits: Limits = Limits()) {
        self.bytes = bytes
        self.limits = limits
    }

    /// Reads the whole pickle and returns its top-level value.
    /// - Throws: `PickleError`.
    mutating func load() throws(PickleError) -> PickleValue {
        var operations = 0
        while pos < bytes.count {
            operations += 1
            guard operations <= limits.operations else {
                throw .limitExceeded(what: "operations", limit: limits.operations, offset: pos)
            }
            opStart = pos
            let op = bytes[pos]
            pos += 1
            if op == Op.stop {
                let v = try pop("STOP")
                guard pos == bytes.count else { throw .trailingBytes(offset: pos, count: bytes.count - pos) }
                return v
            }
            try execute(op)
        }
        throw .missingStop
    }

    // MARK: - Opcodes

    enum Op {
        static let mark: UInt8 = 0x28, stop: UInt8 = 0x2E, pop: UInt8 = 0x30, popMark: UInt8 = 0x31, dup: UInt8 = 0x32
        static let binfloat: UInt8 = 0x47, binint: UInt8 = 0x4A, binint1: UInt8 = 0x4B, binint2: UInt8 = 0x4D
        static let none: UInt8 = 0x4E, binpersid: UInt8 = 0x51, reduce: UInt8 = 0x52, binstring: UInt8 = 0x54
        static let shortBinstring: UInt8 = 0x55, binunicode: UInt8 = 0x58, binbytes: UInt8 = 0x42, shortBinbytes: UInt8 = 0x43
        static let append: UInt8 = 0x61, build: UInt8 = 0x62, global: UInt8 = 0x63, dict: UInt8 = 0x64
        static let appends: UInt8 = 0x65, get: UInt8 = 0x67, binget: UInt8 = 0x68, longBinget: UInt8 = 0x6A
        static let list: UInt8 = 0x6C, put: UInt8 = 0x70, binput: UInt8 = 0x71, longBinput: UInt8 = 0x72
        static let setitem: UInt8 = 0x73, tuple: UInt8 = 0x74, setitems: UInt8 = 0x75
        static let emptyDict: UInt8 = 0x7D, emptyList: UInt8 = 0x5D, emptyTuple: UInt8 = 0x29
        static let proto: UInt8 = 0x80, tuple1: UInt8 = 0x85, tuple2: UInt8 = 0x86, tuple3: UInt8 = 0x87
        static let newtrue: UInt8 = 0x88, newfalse: UInt8 = 0x89, long1: UInt8 = 0x8A, long4: UInt8 = 0x8B
        static let shortBinunicode: UInt8 = 0x8C, binunicode8: UInt8 = 0x8D, binbytes8: UInt8 = 0x8E
        static let emptySet: UInt8 = 0x8F, additems: UInt8 = 0x90, frozenset: UInt8 = 0x91
        static let stackGlobal: UInt8 = 0x93, memoize: UInt8 = 0x94, frame: UInt8 = 0x95, bytearray8: UInt8 = 0x96
    }

    private mutating func execute(_ op: UInt8) throws(PickleError) {
        switch op {
        case Op.proto:
            let v = Int(try byte())
            guard (2...5).contains(v) else { throw .unsupportedProtocol(version: v, offset: opStart) }
        case Op.frame:
            let claimed = try u64()
            _ = try length(claimed)  // frames are transparent: only check the claim
        case Op.mark:
            guard marks.count < limits.marks else { throw .limitExceeded(what: "marks", limit: limits.marks, offset: opStart) }
            marks.append(stack.count)
        case Op.pop:
            if stack.count > floor { stack.removeLast() } else if !marks.isEmpty { marks.removeLast() } else {
                throw .stackUnderflow(opcode: "POP", offset: opStart)
            }
        case Op.popMark:
            _ = try popMark("POP_MARK")
        case Op.dup:
            try push(try top("DUP"))

        case Op.none: try push(.none)
        case Op.newtrue: try push(.bool(true))
        case Op.newfalse: try push(.bool(false))
        case Op.binint1: try push(.int(Int64(try byte())))
        case Op.binint2: try push(.int(Int64(try take(2).le16(0))))
        case Op.binint: try push(.int(Int64(Int32(truncatingIfNeeded: try take(4).le32(0)))))
        case Op.long1: try push(try long(Int(try byte())))
        case Op.long4:
            let n = Int32(truncatingIfNeeded: try take(4).le32(0))
            guard n >= 0 else { throw .truncated(offset: opStart, needed: UInt64(UInt32(bitPattern: n)), available: bytes.count - pos) }
            try push(try long(Int(n)))
        case Op.binfloat:
            let b = try take(8)
            try push(.float(Double(bitPattern: UInt64(bigEndian: b.loadUnaligned(as: UInt64.self)))))

        case Op.shortBinunicode: try push(try unicode(UInt64(try byte())))
        case Op.binunicode: try push(try unicode(UInt64(try take(4).le32(0))))
        case Op.binunicode8: try push(try unicode(try u64()))
        case Op.shortBinstring: try push(try py2String(UInt64(try byte())))
        case Op.binstring:
            let n = Int32(truncatingIfNeeded: try take(4).le32(0))
            guard n >= 0 else { throw .truncated(offset: opStart, needed: UInt64(UInt32(bitPattern: n)), available: bytes.count - pos) }
            try push(try py2String(UInt64(n)))
        case Op.shortBinbytes: try push(try bytesValue(UInt64(try byte())))
        case Op.binbytes: try push(try bytesValue(UInt64(try take(4).le32(0))))
        case Op.binbytes8, Op.bytearray8: try push(try bytesValue(try u64()))

        case Op.emptyTuple: try push(.tuple(arena.tuple([])))
        case Op.tuple: try push(.tuple(arena.tuple(try popMark("TUPLE"))))
        case Op.tuple1:
            let a = try pop("TUPLE1")
            try push(.tuple(arena.tuple([a])))
        case Op.tuple2:
            let b = try pop("TUPLE2"), a = try pop("TUPLE2")
            try push(.tuple(arena.tuple([a, b])))
        case Op.tuple3:
            let c = try pop("TUPLE3"), b = try pop("TUPLE3"), a = try pop("TUPLE3")
            try push(.tuple(arena.tuple([a, b, c])))

        case Op.emptyList: try push(.list(arena.list()))
        case Op.list:
            let l = arena.list()
            l.items = try popMark("LIST")
            try push(.list(l))
        case Op.append:
            let v = try pop("APPEND")
            try listOnTop("APPEND").items.append(v)
        case Op.appends:
            let vs = try popMark("APPENDS")
            try listOnTop("APPENDS").items.append(contentsOf: vs)
        case Op.emptySet: try push(.list(arena.list(isSet: true)))
        case Op.additems:
            let vs = try popMark("ADDITEMS")
            let s = try listOnTop("ADDITEMS")
            guard s.isSet else { throw .unexpectedType(opcode: "ADDITEMS", offset: opStart, expected: "set", found: "list") }
            s.items.append(contentsOf: vs)
        case Op.frozenset:
            let s = arena.list(isSet: true)
            s.items = try popMark("FROZENSET")
            try push(.list(s))

        case Op.emptyDict: try push(.dict(arena.dict(isOrdered: false)))
        case Op.dict:
            let items = try popMark("DICT")
            let d = arena.dict(isOrdered: false)
            try setPairs(items, into: d, opcode: "DICT")
            try push(.dict(d))
        case Op.setitem:
            let v = try pop("SETITEM"), k = try pop("SETITEM")
            try dictOnTop("SETITEM").set(k, v)
        case Op.setitems:
            let items = try popMark("SETITEMS")
            try setPairs(items, into: try dictOnTop("SETITEMS"), opcode: "SETITEMS")

        case Op.binput: try memoize(Int(try byte()))
        case Op.longBinput: try memoize(try take(4).le32(0))
        case Op.put: try memoize(try decimalLine())
        case Op.memoize: try memoize(memo.count)
        case Op.binget: try push(try recall(Int(try byte())))
        case Op.longBinget: try push(try recall(try take(4).le32(0)))
        case Op.get: try push(try recall(try decimalLine()))

        case Op.global:
            let module = try textLine(), name = try textLine()
            try push(.global(try allowed(module: module, name: name)))
        case Op.stackGlobal:
            let name = try pop("STACK_GLOBAL"), module = try pop("STACK_GLOBAL")
            guard case let .string(m) = module, case let .string(n) = name else {
                throw .unexpectedType(opcode: "STACK_GLOBAL", offset: opStart, expected: "two str",
                                      found: "\(module.kindName), \(name.kindName)")
            }
            try push(.global(try allowed(module: m, name: n)))
        case Op.reduce:
            let args = try pop("REDUCE"), callable = try pop("REDUCE")
            try push(try call(callable, args))
        case Op.build:
            let state = try pop("BUILD")
            let target = try top("BUILD")
            guard case let .dict(d) = target, d.isOrdered else {
                throw .disallowedBuild(target: target.kindName, offset: opStart)
            }
            switch state {
            case .none, .dict: break  // an OrderedDict's __dict__ (e.g. `_metadata`): accepted, not used
            default: throw .disallowedBuild(target: "OrderedDict with a \(state.kindName) state", offset: opStart)
            }
        case Op.binpersid:
            try push(.storage(try persistentStorage(try pop("BINPERSID"))))

        default:
            throw .unsupportedOpcode(opcode: op, offset: opStart)
        }
    }

    // MARK: - Stack

    /// The stack index of the last mark (values below it are out of reach).
    private var floor: Int { marks.last ?? 0 }

    private mutating func push(_ v: PickleValue) throws(PickleError) {
        guard stack.count < limits.stack else { throw .limitExceeded(what: "stack values", limit: limits.stack, offset: opStart) }
        stack.append(v)
    }

    private mutating func pop(_ opcode: String) throws(PickleError) -> PickleValue {
        guard stack.count > floor else { throw .stackUnderflow(opcode: opcode, offset: opStart) }
        return stack.removeLast()
    }

    private func top(_ opcode: String) throws(PickleError) -> PickleValue {
        guard stack.count > floor, let v = stack.last else { throw .stackUnderflow(opcode: opcode, offset: opStart) }
        return v
    }

    private mutating func popMark(_ opcode: String) throws(PickleError) -> [PickleValue] {
        guard let m = marks.popLast() else { throw .missingMark(opcode: opcode, offset: opStart) }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }

    private func listOnTop(_ opcode: String) throws(PickleError) -> PickleList {
        let t = try top(opcode)
        guard case let .list(l) = t else { throw .unexpectedType(opcode: opcode, offset: opStart, expected: "list", found: t.kindName) }
        return l
    }

    private func dictOnTop(_ opcode: String) throws(PickleError) -> PickleDict {
        let t = try top(opcode)
        guard case let .dict(d) = t else { throw .unexpectedType(opcode: opcode, offset: opStart, expected: "dict", found: t.kindName) }
        return d
    }

    private func setPairs(_ items: [PickleValue], into d: PickleDict, opcode: String) throws(PickleError) {
        guard items.count % 2 == 0 else {
            throw .unexpectedType(opcode: opcode, offset: opStart, expected: "key/value pairs", found: "\(items.count) values")
        }
        var i = 0
        while i < items.count {
            d.set(items[i], items[i + 1])
            i += 2
        }
    }

    // MARK: - Memo

    private mutating func memoize(_ key: Int) throws(PickleError) {
        let v = try top("PUT")
        if memo[key] == nil {
            guard memo.count < limits.memo else { throw .limitExceeded(what: "memo entries", limit: limits.memo, offset: opStart) }
        }
        memo[key] = v
    }

    private func recall(_ key: Int) throws(PickleError) -> PickleValue {
        guard let v = memo[key] else { throw .missingMemo(key: key, offset: opStart) }
        return v
    }

    // MARK: - Operands

    private mutating func byte() throws(PickleError) -> UInt8 {
        guard pos < bytes.count else { throw .truncated(offset: opStart, needed: 1, available: 0) }
        pos += 1
        return bytes[pos - 1]
    }

    /// The next `n` bytes; `n` is checked against what is left before anything is read.
    private mutating func take(_ n: Int) throws(PickleError) -> UnsafeRawBufferPointer {
        guard n >= 0, n <= bytes.count - pos else {
            throw .truncated(offset: opStart, needed: UInt64(max(n, 0)), available: bytes.count - pos)
        }
        defer { pos += n }
        return UnsafeRawBufferPointer(rebasing: bytes[pos..<(pos + n)])
    }

    private mutating func u64() throws(PickleError) -> UInt64 {
        UInt64(littleEndian: try take(8).loadUnaligned(as: UInt64.self))
    }

    /// A claimed length, refused when it exceeds the bytes left. (Call it with the claim already in a
    /// local: a non-mutating call evaluates `self` before its arguments.)
    private func length(_ claimed: UInt64) throws(PickleError) -> Int {
        guard claimed <= UInt64(bytes.count - pos) else {
            throw .truncated(offset: opStart, needed: claimed, available: bytes.count - pos)
        }
        return Int(claimed)
    }

    private mutating func bytesValue(_ claimed: UInt64) throws(PickleError) -> PickleValue {
        .bytes(count: try take(try length(claimed)).count)
    }

    private mutating func unicode(_ claimed: UInt64) throws(PickleError) -> PickleValue {
        let b = try take(try length(claimed))
        guard let s = String(validating: b, as: UTF8.self) else { throw .invalidText(offset: opStart) }
        return .string(s)
    }

    /// A Python 2 `str` (`SHORT_BINSTRING`/`BINSTRING`): text when UTF-8, else bytes.
    private mutating func py2String(_ claimed: UInt64) throws(PickleError) -> PickleValue {
        let b = try take(try length(claimed))
        if let s = String(validating: b, as: UTF8.self) { return .string(s) }
        return .bytes(count: b.count)
    }

    /// A little-endian two's-complement integer of `n` bytes (`LONG1`/`LONG4`).
    private mutating func long(_ n: Int) throws(PickleError) -> PickleValue {
        let b = try take(try length(UInt64(n)))
        guard n > 0 else { return .int(0) }
        let negative = b[n - 1] & 0x80 != 0
        if n > 8 {
            // Fits in Int64 only when the extra bytes are pure sign extension.
            let fill: UInt8 = negative ? 0xFF : 0
            guard b[8...].allSatisfy({ $0 == fill }), (b[7] & 0x80 != 0) == negative else { return .bigInt }
        }
        var v: UInt64 = negative ? ~0 : 0
        for i in (0..<min(n, 8)).reversed() { v = (v << 8) | UInt64(b[i]) }
        return .int(Int64(bitPattern: v))
    }

    /// A `\n`-terminated line of at most `limits.textLine` bytes.
    private mutating func textLine() throws(PickleError) -> String {
        let start = pos
        while true {
            guard pos < bytes.count else { throw .truncated(offset: opStart, needed: 1, available: 0) }
            if bytes[pos] == 0x0A { break }
            pos += 1
            guard pos - start <= limits.textLine else {
                throw .limitExceeded(what: "bytes in a text line", limit: limits.textLine, offset: opStart)
            }
        }
        let line = UnsafeRawBufferPointer(rebasing: bytes[start..<pos])
        pos += 1
        guard let s = String(validating: line, as: UTF8.self) else { throw .invalidText(offset: opStart) }
        return s
    }

    /// A decimal memo key on a text line (`PUT`/`GET`).
    private mutating func decimalLine() throws(PickleError) -> Int {
        let s = try textLine()
        guard !s.isEmpty, s.count <= 18, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = Int(s) else {
            throw .invalidText(offset: opStart)
        }
        return v
    }

    // MARK: - Globals, calls, persistent ids

    private func allowed(module: String, name: String) throws(PickleError) -> AllowedGlobal {
        guard let g = AllowedGlobal.lookup(module: module, name: name) else {
            throw .disallowedGlobal(module: module, name: name, offset: opStart)
        }
        return g
    }

    private func call(_ callable: PickleValue, _ args: PickleValue) throws(PickleError) -> PickleValue {
        guard case let .global(g) = callable else { throw .disallowedCall(callable: callable.kindName, offset: opStart) }
        guard case let .tuple(t) = args else {
            throw .unexpectedType(opcode: "REDUCE", offset: opStart, expected: "an argument tuple", found: args.kindName)
        }
        let a = t.items
        func bad(_ detail: String) -> PickleError { .badArguments(callable: g.qualifiedName, offset: opStart, detail: detail) }
        switch g {
        case .orderedDict:
            guard a.isEmpty else { throw bad("expected no arguments, found \(a.count)") }
            return .dict(arena.dict(isOrdered: true))
        case .rebuildTensorV2, .rebuildTensorV3:
            let v3 = g == .rebuildTensorV3
            let base = v3 ? 7 : 6
            guard a.count == base || a.count == base + 1 else { throw bad("expected \(base) or \(base + 1) arguments, found \(a.count)") }
            guard case let .storage(storage) = a[0] else { throw bad("argument 1 is \(a[0].kindName), expected a storage") }
            guard case let .int(offset) = a[1], offset >= 0 else { throw bad("the storage offset is not a non-negative int") }
            let size = try intTuple(a[2], what: "size", bad)
            let stride = try intTuple(a[3], what: "stride", bad)
            guard size.count == stride.count else { throw bad("size has \(size.count) dimensions, stride \(stride.count)") }
            guard case .bool = a[4] else { throw bad("requires_grad is \(a[4].kindName), expected bool") }
            guard case .dict = a[5] else { throw bad("backward_hooks is \(a[5].kindName), expected an OrderedDict") }
            var dtype = storage.dtype
            if v3 {
                guard case let .global(.dtype(_, d)) = a[6] else { throw bad("argument 7 is \(a[6].kindName), expected a torch dtype") }
                guard storage.dtype == .u8 || storage.dtype == d else { throw bad("a typed storage of \(storage.dtype) viewed as \(d)") }
                dtype = d
            }
            return .tensor(PickleTensor(storage: storage, dtype: dtype, storageOffset: Int(offset), size: size,
                                        stride: stride, isParameter: false))
        case .rebuildParameter, .rebuildParameterWithState:
            let n = g == .rebuildParameter ? 3 : 4
            guard a.count == n else { throw bad("expected \(n) arguments, found \(a.count)") }
            guard case let .tensor(data) = a[0] else { throw bad("argument 1 is \(a[0].kindName), expected a tensor") }
            guard case .bool = a[1] else { throw bad("requires_grad is \(a[1].kindName), expected bool") }
            guard case .dict = a[2] else { throw bad("backward_hooks is \(a[2].kindName), expected an OrderedDict") }
            return .tensor(PickleTensor(storage: data.storage, dtype: data.dtype, storageOffset: data.storageOffset,
                                        size: data.size, stride: data.stride, isParameter: true))
        case .storageType, .dtype:
            throw .disallowedCall(callable: g.qualifiedName, offset: opStart)
        }
    }

    private func intTuple(_ v: PickleValue, what: String, _ bad: (String) -> PickleError) throws(PickleError) -> [Int] {
        guard case let .tuple(t) = v else { throw bad("\(what) is \(v.kindName), expected a tuple of ints") }
        guard t.items.count <= 64 else { throw bad("\(what) has \(t.items.count) dimensions (at most 64)") }
        var out: [Int] = []
        out.reserveCapacity(t.items.count)
        for item in t.items {
            guard case let .int(x) = item, x >= 0 else { throw bad("\(what) holds \(item.kindName == "int" ? "a negative int" : item.kindName)") }
            out.append(Int(x))
        }
        return out
    }

    private mutating func persistentStorage(_ pid: PickleValue) throws(PickleError) -> PickleStorage {
        guard case let .tuple(t) = pid, t.items.count == 5 else {
            throw .badPersistentID(offset: opStart, detail: "expected a 5-tuple, found \(pid.kindName)")
        }
        let a = t.items
        guard case .string("storage") = a[0] else { throw .badPersistentID(offset: opStart, detail: "the tag is not 'storage'") }
        guard case let .global(.storageType(_, dtype)) = a[1] else {
            throw .badPersistentID(offset: opStart, detail: "the storage class is \(a[1].kindName)")
        }
        guard case let .string(key) = a[2], !key.isEmpty, !key.contains("/") else {
            throw .badPersistentID(offset: opStart, detail: "the key is not a plain name")
        }
        guard case let .string(location) = a[3] else { throw .badPersistentID(offset: opStart, detail: "the location is not a str") }
        guard case let .int(numel) = a[4], numel >= 0 else {
            throw .badPersistentID(offset: opStart, detail: "the element count is not a non-negative int")
        }
        if let known = storages[key] {
            guard known.dtype == dtype, known.numel == Int(numel) else {
                throw .badPersistentID(offset: opStart, detail: "storage '\(key)' is declared again with another type or size")
            }
            return known
        }
        let s = PickleStorage(dtype: dtype, key: key, location: location, numel: Int(numel))
        storages[key] = s
        return s
    }
}

extension UnsafeRawBufferPointer {
    @inline(__always) fileprivate func le16(_ o: Int) -> Int { Int(UInt16(littleEndian: loadUnaligned(fromByteOffset: o, as: UInt16.self))) }
    @inline(__always) fileprivate func le32(_ o: Int) -> Int { Int(UInt32(littleEndian: loadUnaligned(fromByteOffset: o, as: UInt32.self))) }
}
