import ViTTensor

/// The parsed header of a `.npy` file.
public struct NpyHeader: Equatable, Sendable {
    /// Format version (major, minor).
    public let version: (major: Int, minor: Int)
    /// The numpy dtype string, e.g. `<f4`.
    public let descr: String
    /// Element type.
    public let dtype: DType
    /// True when the data is big-endian (`>`).
    public let bigEndian: Bool
    /// True for Fortran (column-major) order.
    public let fortranOrder: Bool
    /// Array shape.
    public let shape: [Int]
    /// Offset of the first data byte.
    public let dataOffset: Int

    public static func == (a: NpyHeader, b: NpyHeader) -> Bool {
        a.version == b.version && a.descr == b.descr && a.fortranOrder == b.fortranOrder && a.shape == b.shape
            && a.dataOffset == b.dataOffset
    }

    /// Largest header accepted (numpy itself refuses headers over 10,000 bytes by default).
    public static let maxHeaderLength = 1 << 20

    /// Parses the header at the start of `bytes` (the whole file or at least its header).
    /// - Throws: `NpyError` naming `file`.
    public static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws -> NpyHeader {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 6, bytes.prefix(6).elementsEqual(magic) else {
            if bytes.count < 6 && bytes.elementsEqual(magic.prefix(bytes.count)) {
                throw NpyError.truncated(file: file, expectedBytes: 10, foundBytes: bytes.count)
            }
            throw NpyError.badMagic(file: file)
        }
        guard bytes.count >= 8 else { throw NpyError.truncated(file: file, expectedBytes: 10, foundBytes: bytes.count) }
        let major = Int(bytes[6]), minor = Int(bytes[7])
        guard (1...3).contains(major), minor == 0 else {
            throw NpyError.unsupportedVersion(file: file, major: major, minor: minor)
        }
        let lenBytes = major == 1 ? 2 : 4
        let start = 8 + lenBytes
        guard bytes.count >= start else { throw NpyError.truncated(file: file, expectedBytes: start, foundBytes: bytes.count) }
        var length = 0
        for i in 0..<lenBytes { length |= Int(bytes[8 + i]) << (8 * i) }
        guard length <= maxHeaderLength else {
            throw NpyError.headerTooLarge(file: file, length: length, limit: maxHeaderLength)
        }
        guard bytes.count >= start + length else {
            throw NpyError.truncated(file: file, expectedBytes: start + length, foundBytes: bytes.count)
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)])
        if major < 3 && headerBytes.contains(where: { $0 >= 0x80 }) {
            throw NpyError.malformedHeader(file: file, detail: "non-ASCII byte in a version \(major) header")
        }
        guard let text = String(validating: headerBytes, as: UTF8.self) else {
            throw NpyError.malformedHeader(file: file, detail: "header is not valid UTF-8")
        }
        var p = NpyDictParser(text: text, file: file)
        let dict = try p.parseDict()
        guard let descr = dict.descr else { throw NpyError.malformedHeader(file: file, detail: "missing key 'descr'") }
        guard let fortran = dict.fortranOrder else { throw NpyError.malformedHeader(file: file, detail: "missing key 'fortran_order'") }
        guard let shape = dict.shape else { throw NpyError.malformedHeader(file: file, detail: "missing key 'shape'") }
        let (dtype, big) = try dtypeOf(descr: descr, file: file)
        // The data must fit in a file: header plus data bytes may not overflow either (they are added
        // when the file's size is checked).
        guard let dataBytes = Shape.byteCount(shape, dtype: dtype),
              !dataBytes.addingReportingOverflow(start + length).overflow else {
            throw NpyError.invalidShape(file: file, shape: shape)
        }
        return NpyHeader(version: (major, minor), descr: descr, dtype: dtype, bigEndian: big,
                         fortranOrder: fortran, shape: shape, dataOffset: start + length)
    }

    static func dtypeOf(descr: String, file: String) throws -> (DType, Bool) {
        guard descr.count >= 2 else { throw NpyError.unsupportedDType(file: file, descr: descr) }
        let order = descr.first!
        let code = String(descr.dropFirst())
        let table: [String: DType] = [
            "f2": .f16, "f4": .f32, "f8": .f64, "i1": .i8, "i2": .i16, "i4": .i32, "i8": .i64,
            "u1": .u8, "u2": .u16, "u4": .u32, "u8": .u64, "b1": .bool,
        ]
        guard let dt = table[code] else { throw NpyError.unsupportedDType(file: file, descr: descr) }
        switch order {
        case "<", "=": return (dt, false)
        case ">": return (dt, dt.byteSize > 1)
        case "|" where dt.byteSize == 1: return (dt, false)
        default: throw NpyError.unsupportedDType(file: file, descr: descr)
        }
    }

    /// Encodes a version 1.0 header for a little-endian C-order array (padded so data starts at a multiple of 64).
    public static func encode(dtype: DType, shape: [Int]) -> [UInt8] {
        let code: String
        switch dtype {
        case .f16: code = "<f2"
        case .f32: code = "<f4"
        case .f64: code = "<f8"
        case .i8: code = "|i1"
        case .u8: code = "|u1"
        case .bool: code = "|b1"
        case .i16: code = "<i2"
        case .u16: code = "<u2"
        case .i32: code = "<i4"
        case .u32: code = "<u4"
        case .i64: code = "<i8"
        case .u64: code = "<u8"
        default: code = "|V\(dtype.byteSize)"
        }
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(code)', 'fortran_order': False, 'shape': \(shapeText), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
        let n = header.utf8.count
        out += [UInt8(n & 0xFF), UInt8(n >> 8)]
        out += Array(header.utf8)
        return out
    }
}
