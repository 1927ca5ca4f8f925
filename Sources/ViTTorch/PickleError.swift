/// Errors of the restricted unpickler. Offsets are byte positions inside the pickle.
public enum PickleError: Error, Equatable, CustomStringConvertible, Sendable {
    /// An operand or a length-prefixed string runs past the end of the pickle.
    case truncated(offset: Int, needed: UInt64, available: Int)
    /// An opcode outside the restricted set (object construction, extension registry, text ints, ...).
    case unsupportedOpcode(opcode: UInt8, offset: Int)
    /// A `PROTO` opcode naming a protocol other than 2–5.
    case unsupportedProtocol(version: Int, offset: Int)
    /// An opcode needs more values than the stack holds above the last mark.
    case stackUnderflow(opcode: String, offset: Int)
    /// An opcode needs a mark and none is set.
    case missingMark(opcode: String, offset: Int)
    /// An operand has the wrong type (e.g. `APPEND` onto a dict).
    case unexpectedType(opcode: String, offset: Int, expected: String, found: String)
    /// A memo lookup of a key never stored.
    case missingMemo(key: Int, offset: Int)
    /// A size limit was exceeded (stack, marks, memo, operations, text line).
    case limitExceeded(what: String, limit: Int, offset: Int)
    /// A string that is not UTF-8, a malformed text line, or a bad decimal memo key.
    case invalidText(offset: Int)
    /// A `GLOBAL`/`STACK_GLOBAL` naming anything outside the allow-list.
    case disallowedGlobal(module: String, name: String, offset: Int)
    /// A `REDUCE` whose callable is not an allowed callable.
    case disallowedCall(callable: String, offset: Int)
    /// A `BUILD` on anything but an `OrderedDict` (or with a state that is not a dict).
    case disallowedBuild(target: String, offset: Int)
    /// A persistent id that is not `('storage', <storage class>, key, location, numel)`.
    case badPersistentID(offset: Int, detail: String)
    /// An allowed callable called with arguments of the wrong shape.
    case badArguments(callable: String, offset: Int, detail: String)
    /// The pickle ends without `STOP`.
    case missingStop
    /// Bytes after `STOP`.
    case trailingBytes(offset: Int, count: Int)

    public var description: String {
        switch self {
        case let .truncated(o, n, a):
            return "pickle truncated at offset \(o): \(n) bytes needed, \(a) left"
        case let .unsupportedOpcode(op, o):
            return "pickle opcode 0x\(String(op, radix: 16)) at offset \(o) is not allowed (only the opcodes a state dict needs are)"
        case let .unsupportedProtocol(v, o):
            return "pickle protocol \(v) at offset \(o) is not supported (expected 2 to 5)"
        case let .stackUnderflow(op, o):
            return "pickle \(op) at offset \(o) needs more values than the stack holds"
        case let .missingMark(op, o):
            return "pickle \(op) at offset \(o) needs a MARK and there is none"
        case let .unexpectedType(op, o, e, f):
            return "pickle \(op) at offset \(o) expected \(e), found \(f)"
        case let .missingMemo(k, o):
            return "pickle memo key \(k) read at offset \(o) was never stored"
        case let .limitExceeded(w, l, o):
            return "pickle exceeds the limit of \(l) \(w) at offset \(o)"
        case let .invalidText(o):
            return "pickle text at offset \(o) is malformed or not UTF-8"
        case let .disallowedGlobal(m, n, o):
            return "pickle refers to \(m).\(n) at offset \(o), which is not on the allow-list; nothing was executed"
        case let .disallowedCall(c, o):
            return "pickle calls \(c) at offset \(o), which is not an allowed callable; nothing was executed"
        case let .disallowedBuild(t, o):
            return "pickle BUILD at offset \(o) on \(t) is not allowed (only an OrderedDict's state may be set)"
        case let .badPersistentID(o, d):
            return "pickle persistent id at offset \(o) is not a torch storage reference: \(d)"
        case let .badArguments(c, o, d):
            return "pickle call of \(c) at offset \(o) has bad arguments: \(d)"
        case .missingStop:
            return "pickle ends without a STOP opcode"
        case let .trailingBytes(o, n):
            return "pickle has \(n) bytes after STOP (at offset \(o))"
        }
    }
}
