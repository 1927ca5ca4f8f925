internal import CHDF5
import ViTTensor

/// How a dataset's elements land in a ViTKit tensor's little-endian storage.
enum MemoryType: Equatable, Sendable {
    /// Through the little-endian HDF5 type of this dtype (libhdf5 converts byte order and widths).
    /// For a uint16 dataset tagged bfloat16 this is `.u16`: the bit patterns are read as they are.
    case standard(DType)
    /// With the dataset's own type, no conversion: OPAQUE bfloat16 and 1-byte bool ENUMs.
    case stored
}

/// What ViTKit makes of a dataset's HDF5 datatype.
struct DatasetPlan: Equatable, Sendable {
    let dtype: DType
    let memory: MemoryType
}

/// HDF5 datatype helpers. Every function expects the caller to hold the libhdf5 lock.
enum HDF5Types {
    // Built once under the lock and never closed: IEEE half and bfloat16 as little-endian HDF5 float types.
    nonisolated(unsafe) private static var halfType: hid_t = -1
    nonisolated(unsafe) private static var bfloatType: hid_t = -1

    /// A 2-byte little-endian float type with the given fields, built as h5py builds its IEEE_F16LE:
    /// a copy of IEEE_F32LE with the fields moved, shrunk to 2 bytes, exponent bias set.
    private static func makeTwoByteFloat(exponentPosition: Int, exponentBits: Int, mantissaBits: Int, bias: Int,
                                         file: String) throws(HDF5Error) -> hid_t {
        let t = try HDF5Library.check(H5Tcopy(vk_H5T_IEEE_F32LE()), file: file, "copying IEEE_F32LE")
        do {
            try HDF5Library.check(H5Tset_fields(t, 15, exponentPosition, exponentBits, 0, mantissaBits), file: file,
                                  "setting the fields of a 2-byte float type")
            try HDF5Library.check(H5Tset_size(t, 2), file: file, "shrinking a float type to 2 bytes")
            try HDF5Library.check(H5Tset_ebias(t, bias), file: file, "setting the exponent bias of a 2-byte float type")
        } catch {
            H5Tclose(t)
            throw error
        }
        return t
    }

    /// The little-endian HDF5 type whose bytes are this dtype's (F16 and BF16 are built once).
    /// - Throws: `HDF5Error.library` if building a type fails; BOOL and the 8-bit floats have no such type
    ///   and report `.unsupportedDType`.
    static func littleEndianType(_ dtype: DType, file: String, tensor: String) throws(HDF5Error) -> hid_t {
        switch dtype {
        case .f16:
            if halfType < 0 {
                halfType = try makeTwoByteFloat(exponentPosition: 10, exponentBits: 5, mantissaBits: 10, bias: 15, file: file)
            }
            return halfType
        case .bf16:
            if bfloatType < 0 {
                bfloatType = try makeTwoByteFloat(exponentPosition: 7, exponentBits: 8, mantissaBits: 7, bias: 127, file: file)
            }
            return bfloatType
        case .f32: return vk_H5T_IEEE_F32LE()
        case .f64: return vk_H5T_IEEE_F64LE()
        case .i8: return vk_H5T_STD_I8LE()
        case .u8: return vk_H5T_STD_U8LE()
        case .i16: return vk_H5T_STD_I16LE()
        case .u16: return vk_H5T_STD_U16LE()
        case .i32: return vk_H5T_STD_I32LE()
        case .u32: return vk_H5T_STD_U32LE()
        case .i64: return vk_H5T_STD_I64LE()
        case .u64: return vk_H5T_STD_U64LE()
        case .bool, .f8e4m3, .f8e5m2:
            throw .unsupportedDType(file: file, tensor: tensor, dtype: dtype)
        }
    }

    /// The HDF5 class name as libhdf5's documentation spells it (`FLOAT`, `STRING`, `COMPOUND`, …).
    static func className(_ c: H5T_class_t) -> String {
        switch c {
        case H5T_INTEGER: return "INTEGER"
        case H5T_FLOAT: return "FLOAT"
        case H5T_TIME: return "TIME"
        case H5T_STRING: return "STRING"
        case H5T_BITFIELD: return "BITFIELD"
        case H5T_OPAQUE: return "OPAQUE"
        case H5T_COMPOUND: return "COMPOUND"
        case H5T_REFERENCE: return "REFERENCE"
        case H5T_ENUM: return "ENUM"
        case H5T_VLEN: return "VLEN"
        case H5T_ARRAY: return "ARRAY"
        default: return "unknown class \(c.rawValue)"
        }
    }

    /// The integer DType of `size` bytes and the given signedness, if there is one.
    static func integerDType(size: Int, signed: Bool) -> DType? {
        switch (size, signed) {
        case (1, true): return .i8
        case (1, false): return .u8
        case (2, true): return .i16
        case (2, false): return .u16
        case (4, true): return .i32
        case (4, false): return .u32
        case (8, true): return .i64
        case (8, false): return .u64
        default: return nil
        }
    }

    /// Decides how to read a dataset of type `type`.
    /// - Parameters:
    ///   - type: the dataset's datatype.
    ///   - dataset: the open dataset (its `dtype` attribute tags bfloat16).
    ///   - path: the dataset's path (for messages).
    ///   - file: the file (for messages).
    /// - Returns: the plan, or the error that reading this dataset must report (the type is unsupported).
    /// - Throws: `HDF5Error.library` when libhdf5 fails to describe the type.
    static func plan(type: hid_t, dataset: hid_t, path: String, file: String) throws(HDF5Error) -> Result<DatasetPlan, HDF5Error> {
        let cls = H5Tget_class(type)
        if cls == H5T_NO_CLASS { throw HDF5Library.failure(file: file, operation: "reading the type of dataset '\(path)'") }
        let size = H5Tget_size(type)
        if size == 0 { throw HDF5Library.failure(file: file, operation: "reading the type size of dataset '\(path)'") }
        let unsupported = { (detail: String) in
            Result<DatasetPlan, HDF5Error>.failure(.unsupportedType(file: file, dataset: path, hdf5Class: className(cls), detail: detail))
        }
        switch cls {
        case H5T_FLOAT:
            switch size {
            case 2:
                var spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0
                try HDF5Library.check(H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize), file: file,
                                      "reading the float fields of dataset '\(path)'")
                let bias = H5Tget_ebias(type)
                if (spos, epos, esize, mpos, msize, bias) == (15, 10, 5, 0, 10, 15) {
                    return .success(DatasetPlan(dtype: .f16, memory: .standard(.f16)))
                }
                if (spos, epos, esize, mpos, msize, bias) == (15, 7, 8, 0, 7, 127) {
                    return .success(DatasetPlan(dtype: .bf16, memory: .standard(.bf16)))
                }
                return unsupported("2-byte float that is neither IEEE half nor bfloat16: sign bit \(spos), exponent \(esize) bits at \(epos), mantissa \(msize) bits, bias \(bias)")
            case 4: return .success(DatasetPlan(dtype: .f32, memory: .standard(.f32)))
            case 8: return .success(DatasetPlan(dtype: .f64, memory: .standard(.f64)))
            default: return unsupported("\(size)-byte float")
            }
        case H5T_INTEGER:
            let sign = H5Tget_sign(type)
            if sign == H5T_SGN_ERROR { throw HDF5Library.failure(file: file, operation: "reading the sign of dataset '\(path)'") }
            guard let dtype = integerDType(size: size, signed: sign == H5T_SGN_2) else {
                return unsupported("\(size)-byte integer")
            }
            if dtype == .u16, try stringAttribute(of: dataset, named: "dtype", path: path, file: file) == "bfloat16" {
                return .success(DatasetPlan(dtype: .bf16, memory: .standard(.u16)))
            }
            return .success(DatasetPlan(dtype: dtype, memory: .standard(dtype)))
        case H5T_OPAQUE:
            let tag = opaqueTag(type)
            if size == 2 {
                if tag == "bfloat16" { return .success(DatasetPlan(dtype: .bf16, memory: .stored)) }
                if try stringAttribute(of: dataset, named: "dtype", path: path, file: file) == "bfloat16" {
                    return .success(DatasetPlan(dtype: .bf16, memory: .stored))
                }
            }
            return .failure(.unknownOpaque(file: file, dataset: path, byteSize: size, tag: tag))
        case H5T_ENUM:
            if try isBoolEnum(type, path: path, file: file) { return .success(DatasetPlan(dtype: .bool, memory: .stored)) }
            return unsupported("\(size)-byte enum that is not a FALSE/TRUE bool")
        case H5T_STRING:
            let variable = H5Tis_variable_str(type)
            return unsupported(variable > 0 ? "variable-length strings" : "\(size)-byte fixed-length strings")
        case H5T_COMPOUND:
            return unsupported("compound of \(max(0, H5Tget_nmembers(type))) members")
        case H5T_VLEN:
            return unsupported("variable-length sequences")
        case H5T_ARRAY:
            return unsupported("array elements")
        default:
            return unsupported("\(size)-byte elements")
        }
    }

    /// The tag of an OPAQUE type ("" when it has none).
    static func opaqueTag(_ type: hid_t) -> String {
        guard let p = H5Tget_tag(type) else {
            _ = H5Eclear2(vk_H5E_DEFAULT())
            return ""
        }
        defer { H5free_memory(p) }
        return String(cString: p)
    }

    /// True for a 1-byte integer ENUM with exactly the members 0 and 1 (h5py's bool: FALSE = 0, TRUE = 1).
    static func isBoolEnum(_ type: hid_t, path: String, file: String) throws(HDF5Error) -> Bool {
        let base = try HDF5ID(H5Tget_super(type), .datatype, file: file, "reading the base type of enum dataset '\(path)'")
        guard H5Tget_class(base.id) == H5T_INTEGER, H5Tget_size(base.id) == 1 else { return false }
        let members = try HDF5Library.check(H5Tget_nmembers(type), file: file, "counting the members of enum dataset '\(path)'")
        guard members == 2 else { return false }
        var values: [UInt8] = []
        for i in 0..<UInt32(members) {
            var v: UInt8 = 0
            try HDF5Library.check(H5Tget_member_value(type, i, &v), file: file, "reading a member of enum dataset '\(path)'")
            values.append(v)
        }
        return values.sorted() == [0, 1]
    }

    /// The value of a string attribute `name` on `object`, or nil when there is none or it is not a string.
    static func stringAttribute(of object: hid_t, named name: String, path: String, file: String) throws(HDF5Error) -> String? {
        let exists = try HDF5Library.check(H5Aexists(object, name), file: file, "looking for attribute '\(name)' of '\(path)'")
        guard exists > 0 else { return nil }
        let attribute = try HDF5ID(H5Aopen(object, name, vk_H5P_DEFAULT()), .attribute, file: file,
                                   "opening attribute '\(name)' of '\(path)'")
        do {
            if case let .string(s) = try AttributeReader.read(attribute.id, name: name, object: path, file: file) { return s }
            return nil
        } catch {
            if case .unsupportedAttribute = error { return nil }  // a non-string tag is no tag
            throw error
        }
    }
}
