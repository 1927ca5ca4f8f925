import Foundation
import Testing
import ViTTensor
import ViTZipTestSupport
@testable import ViTTorch

/// Parses `bytes` and renders the result as Python-like text (tests only: recursion on small values).
func unpickle(_ bytes: [UInt8], limits: Unpickler.Limits = .init()) throws -> String {
    try bytes.withUnsafeBytes { b in
        var u = Unpickler(b, limits: limits)
        defer { u.arena.release() }
        return render(try u.load())
    }
}

func render(_ v: PickleValue) -> String {
    switch v {
    case .none: return "None"
    case let .bool(b): return b ? "True" : "False"
    case let .int(i): return String(i)
    case .bigInt: return "<bigint>"
    case let .float(f): return String(f)
    case let .string(s): return "'\(s)'"
    case let .bytes(n): return "<\(n) bytes>"
    case let .list(l): return (l.isSet ? "{" : "[") + l.items.map(render).joined(separator: ", ") + (l.isSet ? "}" : "]")
    case let .tuple(t): return "(" + t.items.map(render).joined(separator: ", ") + (t.items.count == 1 ? ",)" : ")")
    case let .dict(d): return (d.isOrdered ? "OD{" : "{") + d.entries.map { "\(render($0.key)): \(render($0.value))" }.joined(separator: ", ") + "}"
    case let .global(g): return g.qualifiedName
    case let .storage(s): return "storage(\(s.key), \(s.dtype.rawValue), \(s.numel))"
    case let .tensor(t):
        return "tensor(\(t.storage.key), \(t.dtype.rawValue), \(t.size), \(t.stride), +\(t.storageOffset)\(t.isParameter ? ", param" : ""))"
    }
}

/// Bytes of a protocol-2 pickle: PROTO 2, `body`, STOP.
func p2(_ body: [UInt8]) -> [UInt8] { [0x80, 2] + body + [0x2E] }

@Suite("the restricted unpickler reads what a state dict needs")
struct UnpicklerValueTests {
    @Test("integers of every width, including negative LONG1 and a LONG beyond Int64")
    func ints() throws {
        #expect(try unpickle(p2([0x4B, 200])) == "200")
        #expect(try unpickle(p2([0x4D, 0x34, 0x12])) == "4660")
        #expect(try unpickle(p2([0x4A, 0xFE, 0xFF, 0xFF, 0xFF])) == "-2")
        #expect(try unpickle(p2([0x8A, 0])) == "0")
        #expect(try unpickle(p2([0x8A, 2, 0x00, 0xFF])) == "-256")
        #expect(try unpickle(p2([0x8A, 9, 0, 0, 0, 0, 0, 0, 0, 0x80, 0xFF])) == String(Int64.min))
        #expect(try unpickle(p2([0x8A, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1])) == "<bigint>")
        #expect(try unpickle(p2([0x8B, 3, 0, 0, 0, 1, 2, 3])) == "197121")
    }

    @Test("floats, bools, None, and every string and bytes opcode")
    func scalars() throws {
        #expect(try unpickle(p2([0x47, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0])) == "1.5")
        #expect(try unpickle(p2([0x28, 0x88, 0x89, 0x4E, 0x74])) == "(True, False, None)")
        #expect(try unpickle(p2([0x8C, 3] + Array("hé".utf8))) == "'hé'")
        #expect(try unpickle(p2([0x58, 2, 0, 0, 0] + Array("ab".utf8))) == "'ab'")
        #expect(try unpickle(p2([0x8D, 1, 0, 0, 0, 0, 0, 0, 0, 0x7A])) == "'z'")
        #expect(try unpickle(p2([0x55, 2, 0x61, 0x62])) == "'ab'")
        #expect(try unpickle(p2([0x54, 1, 0, 0, 0, 0xFF])) == "<1 bytes>")
        #expect(try unpickle(p2([0x43, 2, 1, 2])) == "<2 bytes>")
        #expect(try unpickle(p2([0x42, 1, 0, 0, 0, 9])) == "<1 bytes>")
        #expect(try unpickle(p2([0x8E, 1, 0, 0, 0, 0, 0, 0, 0, 9])) == "<1 bytes>")
    }

    @Test("tuples, lists, dicts and sets, built by every container opcode")
    func containers() throws {
        #expect(try unpickle(p2([0x29])) == "()")
        #expect(try unpickle(p2([0x4B, 1, 0x85])) == "(1,)")
        #expect(try unpickle(p2([0x4B, 1, 0x4B, 2, 0x86])) == "(1, 2)")
        #expect(try unpickle(p2([0x4B, 1, 0x4B, 2, 0x4B, 3, 0x87])) == "(1, 2, 3)")
        #expect(try unpickle(p2([0x5D, 0x4B, 1, 0x61, 0x28, 0x4B, 2, 0x4B, 3, 0x65])) == "[1, 2, 3]")
        #expect(try unpickle(p2([0x28, 0x4B, 1, 0x6C])) == "[1]")
        #expect(try unpickle(p2([0x7D, 0x4B, 1, 0x4B, 2, 0x73, 0x28, 0x4B, 3, 0x4B, 4, 0x75])) == "{1: 2, 3: 4}")
        #expect(try unpickle(p2([0x28, 0x4B, 1, 0x4B, 2, 0x64])) == "{1: 2}")
        #expect(try unpickle(p2([0x8F, 0x28, 0x4B, 1, 0x90])) == "{1}")
        #expect(try unpickle(p2([0x28, 0x4B, 1, 0x91])) == "{1}")
    }

    @Test("setting an existing string key replaces its value in place, as Python does")
    func dictReplace() throws {
        var p = PickleBuilder()
        p.emptyDict(); p.mark(); p.str("a"); p.int(1); p.str("b"); p.int(2); p.str("a"); p.int(3); p.op(0x75); p.stop()
        #expect(try unpickle(p.bytes) == "{'a': 3, 'b': 2}")
    }

    @Test("the memo: BINPUT/BINGET, LONG_BINPUT/LONG_BINGET, text PUT/GET and MEMOIZE share mutable containers")
    func memo() throws {
        // [] q0 ; K1 a ; h0 ... the list seen through the memo is the same object
        #expect(try unpickle(p2([0x5D, 0x71, 0, 0x4B, 1, 0x61, 0x30, 0x68, 0])) == "[1]")
        #expect(try unpickle(p2([0x5D, 0x72, 9, 0, 0, 1, 0x30, 0x6A, 9, 0, 0, 1])) == "[]")
        #expect(try unpickle(p2([0x4B, 7, 0x70] + Array("12\n".utf8) + [0x30, 0x67] + Array("12\n".utf8))) == "7")
        #expect(try unpickle([0x80, 4, 0x4B, 5, 0x94, 0x30, 0x68, 0, 0x2E]) == "5")
    }

    @Test("protocol 4 frames and STACK_GLOBAL are understood")
    func protocol4() throws {
        var body: [UInt8] = [0x8C, 11] + Array("collections".utf8) + [0x8C, 11] + Array("OrderedDict".utf8) + [0x93, 0x29, 0x52]
        body = [0x80, 4, 0x95] + [UInt8(body.count + 1), 0, 0, 0, 0, 0, 0, 0] + body + [0x2E]
        #expect(try unpickle(body) == "OD{}")
    }

    @Test("POP, POP_MARK and DUP behave as in Python")
    func stackOps() throws {
        #expect(try unpickle(p2([0x4B, 1, 0x4B, 2, 0x30])) == "1")
        #expect(try unpickle(p2([0x4B, 1, 0x28, 0x4B, 2, 0x4B, 3, 0x31])) == "1")
        #expect(try unpickle(p2([0x4B, 1, 0x32, 0x86])) == "(1, 1)")
    }

    @Test("tensors, typed and untyped storages and parameters are rebuilt as descriptions")
    func tensors() throws {
        var p = PickleBuilder()
        p.tensor(key: "0", numel: 6, offset: 2, size: [2, 2], stride: [1, 2]); p.stop()
        #expect(try unpickle(p.bytes) == "tensor(0, F32, [2, 2], [1, 2], +2)")
        var q = PickleBuilder()
        q.global("torch._utils", "_rebuild_parameter"); q.mark()
        q.tensor(key: "k", storageClass: "HalfStorage", numel: 3, size: [3]); q.op(0x88); q.orderedDict(); q.op(0x74); q.op(0x52); q.stop()
        #expect(try unpickle(q.bytes) == "tensor(k, F16, [3], [1], +0, param)")
    }

    @Test("a million nested tuples and a list holding itself are read and released without recursion")
    func deepAndCyclic() throws {
        let deep = [0x80, 2, 0x4E] + [UInt8](repeating: 0x85, count: 1_000_000) + [0x2E]
        try deep.withUnsafeBytes { b in
            var u = Unpickler(b)
            guard case .tuple = try u.load() else { Issue.record("not a tuple"); return }
            u.arena.release()
        }
        // [] q0 h0 a : a list appended to itself
        let cyclic = p2([0x5D, 0x71, 0, 0x68, 0, 0x61])
        try cyclic.withUnsafeBytes { b in
            var u = Unpickler(b)
            guard case let .list(l) = try u.load() else { Issue.record("not a list"); return }
            #expect(l.items.count == 1)
        }
    }
}

@Suite("the restricted unpickler refuses everything else with the exact error")
struct UnpicklerRefusalTests {
    @Test("os.system is refused when its GLOBAL is read, before any call")
    func system() {
        let evil = p2([0x63] + Array("posix\nsystem\n".utf8) + [0x8C, 4] + Array("echo".utf8) + [0x85, 0x52])
        #expect(throws: PickleError.disallowedGlobal(module: "posix", name: "system", offset: 2)) { try unpickle(evil) }
        let builtins = p2([0x8C, 8] + Array("builtins".utf8) + [0x8C, 4] + Array("eval".utf8) + [0x93])
        #expect(throws: PickleError.disallowedGlobal(module: "builtins", name: "eval", offset: 18)) { try unpickle(builtins) }
    }

    @Test("near-miss globals are refused too (torch module functions, other torch._utils functions)")
    func nearMisses() {
        for (m, n) in [("torch", "load"), ("torch._utils", "_rebuild_from_type_v2"), ("torch", "Tensor"),
                       ("collections", "defaultdict"), ("torch", "ComplexFloatStorage"), ("torch._utils", "_rebuild_qtensor")] {
            var p = PickleBuilder()
            p.global(m, n); p.stop()
            #expect(throws: PickleError.disallowedGlobal(module: m, name: n, offset: 2)) { try unpickle(p.bytes) }
        }
    }

    @Test("calling an allowed global that is not a callable (a storage class) is refused")
    func disallowedCall() {
        var p = PickleBuilder()
        p.global("torch", "FloatStorage"); p.op(0x29); p.op(0x52); p.stop()
        #expect(throws: PickleError.disallowedCall(callable: "torch.FloatStorage", offset: 23)) { try unpickle(p.bytes) }
        #expect(throws: PickleError.disallowedCall(callable: "tuple", offset: 4)) { try unpickle(p2([0x29, 0x29, 0x52])) }
    }

    @Test("BUILD on anything but an OrderedDict, or with a non-dict state, is refused")
    func disallowedBuild() {
        #expect(throws: PickleError.disallowedBuild(target: "list", offset: 4)) { try unpickle(p2([0x5D, 0x7D, 0x62])) }
        var p = PickleBuilder()
        p.orderedDict(); p.int(3); p.op(0x62); p.stop()
        #expect(throws: PickleError.disallowedBuild(target: "OrderedDict with a int state", offset: 31)) { try unpickle(p.bytes) }
    }

    @Test("object-building and extension opcodes are unsupported, named by byte and offset")
    func unsupported() {
        for op: UInt8 in [0x81, 0x92, 0x69, 0x6F, 0x82, 0x50, 0x49, 0x46, 0x56, 0x97] {
            #expect(throws: PickleError.unsupportedOpcode(opcode: op, offset: 2)) { try unpickle(p2([op])) }
        }
    }

    @Test("a protocol above 5 is refused")
    func proto() {
        #expect(throws: PickleError.unsupportedProtocol(version: 6, offset: 0)) { try unpickle([0x80, 6, 0x4E, 0x2E]) }
    }

    @Test("stack underflow, popping below a mark, and a missing mark are refused")
    func stack() {
        #expect(throws: PickleError.stackUnderflow(opcode: "APPEND", offset: 3)) { try unpickle(p2([0x5D, 0x61])) }
        #expect(throws: PickleError.stackUnderflow(opcode: "TUPLE1", offset: 3)) { try unpickle(p2([0x28, 0x85])) }
        #expect(throws: PickleError.missingMark(opcode: "TUPLE", offset: 4)) { try unpickle(p2([0x4B, 1, 0x74])) }
        #expect(throws: PickleError.stackUnderflow(opcode: "STOP", offset: 2)) { try unpickle(p2([])) }
    }

    @Test("operands of the wrong type are refused with both types")
    func types() {
        #expect(throws: PickleError.unexpectedType(opcode: "APPEND", offset: 5, expected: "list", found: "dict")) {
            try unpickle(p2([0x7D, 0x4B, 1, 0x61]))
        }
        #expect(throws: PickleError.unexpectedType(opcode: "SETITEMS", offset: 6, expected: "key/value pairs", found: "1 values")) {
            try unpickle(p2([0x7D, 0x28, 0x4B, 1, 0x75]))
        }
        #expect(throws: PickleError.unexpectedType(opcode: "STACK_GLOBAL", offset: 6, expected: "two str", found: "int, int")) {
            try unpickle(p2([0x4B, 1, 0x4B, 2, 0x93]))
        }
    }

    @Test("reading a memo key never stored is refused")
    func memo() {
        #expect(throws: PickleError.missingMemo(key: 3, offset: 2)) { try unpickle(p2([0x68, 3])) }
    }

    @Test("malformed text (non-UTF-8 strings, bad decimal keys) is refused")
    func text() {
        #expect(throws: PickleError.invalidText(offset: 2)) { try unpickle(p2([0x8C, 1, 0xFF])) }
        #expect(throws: PickleError.invalidText(offset: 3)) { try unpickle(p2([0x4E, 0x70] + Array("1x\n".utf8))) }
    }

    @Test("persistent ids other than torch storage references are refused")
    func persistentIDs() {
        #expect(throws: PickleError.badPersistentID(offset: 4, detail: "expected a 5-tuple, found int")) { try unpickle(p2([0x4B, 1, 0x51])) }
        var p = PickleBuilder()
        p.mark(); p.str("storage"); p.global("torch", "float32"); p.str("0"); p.str("cpu"); p.int(1); p.op(0x74); p.op(0x51); p.stop()
        #expect(throws: PickleError.badPersistentID(offset: 47, detail: "the storage class is torch.float32")) { try unpickle(p.bytes) }
        var q = PickleBuilder()
        q.mark(); q.str("storage"); q.global("torch", "FloatStorage"); q.str("../x"); q.str("cpu"); q.int(1); q.op(0x74); q.op(0x51); q.stop()
        #expect(throws: PickleError.badPersistentID(offset: 55, detail: "the key is not a plain name")) { try unpickle(q.bytes) }
    }

    @Test("the same storage key declared with two sizes is refused")
    func storageRedeclared() {
        var p = PickleBuilder()
        p.mark(); p.tensor(key: "0", numel: 4, size: [4]); p.tensor(key: "0", numel: 5, size: [5]); p.op(0x74); p.stop()
        #expect(throws: PickleError.badPersistentID(offset: 212, detail: "storage '0' is declared again with another type or size")) {
            try unpickle(p.bytes)
        }
    }

    @Test("tensor rebuilders with malformed arguments are refused with the reason")
    func badArguments() {
        var p = PickleBuilder()
        p.global("torch._utils", "_rebuild_tensor_v2"); p.mark(); p.int(1); p.op(0x74); p.op(0x52); p.stop()
        #expect(throws: PickleError.badArguments(callable: "torch._utils._rebuild_tensor_v2", offset: 39,
                                                 detail: "expected 6 or 7 arguments, found 1")) { try unpickle(p.bytes) }
        var q = PickleBuilder()
        q.global("collections", "OrderedDict"); q.int(1); q.op(0x85); q.op(0x52); q.stop()
        #expect(throws: PickleError.badArguments(callable: "collections.OrderedDict", offset: 30,
                                                 detail: "expected no arguments, found 1")) { try unpickle(q.bytes) }
    }

    @Test("a pickle without STOP, or with bytes after it, is refused")
    func stop() {
        #expect(throws: PickleError.missingStop) { try unpickle([0x80, 2, 0x4E]) }
        #expect(throws: PickleError.trailingBytes(offset: 4, count: 2)) { try unpickle([0x80, 2, 0x4E, 0x2E, 0, 0]) }
    }

    @Test("stack, mark, memo, operation and text-line limits are enforced")
    func limits() {
        var l = Unpickler.Limits()
        l.stack = 3
        #expect(throws: PickleError.limitExceeded(what: "stack values", limit: 3, offset: 5)) { try unpickle(p2([0x4E, 0x4E, 0x4E, 0x4E]), limits: l) }
        l = .init(); l.marks = 2
        #expect(throws: PickleError.limitExceeded(what: "marks", limit: 2, offset: 4)) { try unpickle(p2([0x28, 0x28, 0x28]), limits: l) }
        l = .init(); l.memo = 1
        #expect(throws: PickleError.limitExceeded(what: "memo entries", limit: 1, offset: 5)) {
            try unpickle(p2([0x4E, 0x71, 0, 0x71, 1]), limits: l)
        }
        l = .init(); l.operations = 100
        let appends = [0x80, 2, 0x5D] + Array([[UInt8]](repeating: [0x4E, 0x61], count: 100).joined()) + [0x2E]
        #expect(throws: PickleError.limitExceeded(what: "operations", limit: 100, offset: 101)) { try unpickle(appends, limits: l) }
        #expect(throws: PickleError.limitExceeded(what: "bytes in a text line", limit: 4096, offset: 2)) {
            try unpickle(p2([0x63] + [UInt8](repeating: 0x61, count: 5000) + [0x0A]))
        }
    }
}

@Suite("hostile pickles are refused quickly, without allocating what they claim")
struct UnpicklerHostileTests {
    @Test("claims of a billion-plus elements (str, bytes, LONG, frame) are refused in well under a second")
    func hugeClaims() {
        let claims: [([UInt8], PickleError)] = [
            (p2([0x8D] + [0, 0, 0, 0, 0, 1, 0, 0] + [0x61]), .truncated(offset: 2, needed: 1 << 40, available: 2)),
            (p2([0x58, 0x00, 0xCA, 0x9A, 0x3B, 0x61]), .truncated(offset: 2, needed: 1_000_000_000, available: 2)),
            (p2([0x8E, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]), .truncated(offset: 2, needed: UInt64.max, available: 1)),
            (p2([0x8B, 0xFF, 0xFF, 0xFF, 0x7F, 1]), .truncated(offset: 2, needed: 0x7FFF_FFFF, available: 2)),
            (p2([0x8B, 0xFF, 0xFF, 0xFF, 0xFF]), .truncated(offset: 2, needed: 0xFFFF_FFFF, available: 1)),
            (p2([0x95] + [0, 0xCA, 0x9A, 0x3B, 0, 0, 0, 0]), .truncated(offset: 2, needed: 1_000_000_000, available: 1)),
        ]
        let t = ContinuousClock().measure {
            for (bytes, error) in claims { #expect(throws: error) { try unpickle(bytes) } }
        }
        #expect(t < .milliseconds(500))
    }

    @Test("a ten-million-element list is stopped by the operation limit, not by running out of memory")
    func hugeList() {
        var l = Unpickler.Limits()
        l.operations = 1_000_000
        let body = [UInt8](repeating: 0x4E, count: 10_000_000)
        let bytes = [0x80, 2, 0x5D, 0x28] + body + [0x65, 0x2E]
        let t = ContinuousClock().measure {
            #expect(throws: PickleError.limitExceeded(what: "operations", limit: 1_000_000, offset: 1_000_001)) {
                try unpickle(bytes, limits: l)
            }
        }
        #expect(t < .seconds(5))
    }
}
