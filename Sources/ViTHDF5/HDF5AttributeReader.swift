internal import CHDF5
import ViTTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads attributes into `HDF5Attribute` values. Every function expects the caller to hold the libhdf5 lock.
enum AttributeReader {
    /// Every attribute of the open object `object`, by name.
    /// - Throws: `HDF5Error.library`, or `.unsupportedAttribute` for an attribute that is not numbers or strings.
    static func readAll(of object: hid_t, path: String, file: String) throws(HDF5Error) -> [String: HDF5Attribute] {
        var info = H5O_info_t()
        try HDF5Library.check(H5Oget_info2(object, &info, UInt32(H5O_INFO_NUM_ATTRS)), file: file,
                              "counting the attributes of '\(path)'")
        var out: [String: HDF5Attribute] = [:]
        var index: hsize_t = 0
        while index < info.num_attrs {
            let attribute = try HDF5ID(H5Aopen_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, index, vk_H5P_DEFAULT(), vk_H5P_DEFAULT()),
                                       .attribute, file: file, "opening attribute #\(index) of '\(path)'")
            let name = try attributeName(attribute.id, path: path, file: file)
            out[name] = try read(attribute.id, name: name, object: path, file: file)
            index += 1
        }
        return out
    }

    static func attributeName(_ attribute: hid_t, path: String, file: String) throws(HDF5Error) -> String {
        let length = try HDF5Library.check(H5Aget_name(attribute, 0, nil), file: file, "reading an attribute name of '\(path)'")
        var buffer = [CChar](repeating: 0, count: length + 1)
        try HDF5Library.check(H5Aget_name(attribute, length + 1, &buffer), file: file, "reading an attribute name of '\(path)'")
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Reads one open attribute.
    /// - Throws: `HDF5Error.library`, or `.unsupportedAttribute` for compound, opaque, reference, … values
    ///   and for an empty (null) dataspace.
    static func read(_ attribute: hid_t, name: String, object: String, file: String) throws(HDF5Error) -> HDF5Attribute {
        let unsupported = { (detail: String) in
            HDF5Error.unsupportedAttribute(file: file, object: object, attribute: name, detail: detail)
        }
        let type = try HDF5ID(H5Aget_type(attribute), .datatype, file: file, "reading the type of attribute '\(name)' of '\(object)'")
        let space = try HDF5ID(H5Aget_space(attribute), .dataspace, file: file, "reading the dataspace of attribute '\(name)' of '\(object)'")
        let scalar: Bool
        switch H5Sget_simple_extent_type(space.id) {
        case H5S_SCALAR: scalar = true
        case H5S_SIMPLE: scalar = false
        case H5S_NULL: throw unsupported("empty (null dataspace)")
        default: throw HDF5Library.failure(file: file, operation: "reading the dataspace of attribute '\(name)' of '\(object)'")
        }
        let points = try HDF5Library.check(H5Sget_simple_extent_npoints(space.id), file: file,
                                           "counting the elements of attribute '\(name)' of '\(object)'")
        guard let count = Int(exactly: points) else { throw unsupported("\(points) elements") }
        let cls = H5Tget_class(type.id)
        let size = H5Tget_size(type.id)
        if cls == H5T_NO_CLASS || size == 0 {
            throw HDF5Library.failure(file: file, operation: "reading the type of attribute '\(name)' of '\(object)'")
        }
        // Size check before any allocation: the element count comes from the file.
        let elementBytes = cls == H5T_STRING && H5Tis_variable_str(type.id) > 0 ? MemoryLayout<UnsafeRawPointer>.size : max(size, 8)
        let (total, overflow) = count.multipliedReportingOverflow(by: elementBytes)
        guard !overflow, total <= HDF5Memory.limit else { throw unsupported("\(count) elements of \(size) bytes is too large") }

        switch cls {
        case H5T_INTEGER, H5T_ENUM:
            let values = try readIntegers(attribute, type: type.id, class: cls, count: count, name: name, object: object, file: file)
            return scalar ? .int(values.first ?? 0) : .ints(values)
        case H5T_FLOAT:
            var values = [Double](repeating: 0, count: count)
            try HDF5Library.check(H5Aread(attribute, vk_H5T_NATIVE_DOUBLE(), &values), file: file,
                                  "reading attribute '\(name)' of '\(object)'")
            return scalar ? .float(values.first ?? 0) : .floats(values)
        case H5T_STRING:
            let values = try readStrings(attribute, type: type.id, space: space.id, count: count, name: name, object: object, file: file)
            return scalar ? .string(values.first ?? "") : .strings(values)
        default:
            throw unsupported("HDF5 class \(HDF5Types.className(cls))")
        }
    }

    /// Integers and integer-based enums (h5py's bool) as Int64.
    private static func readIntegers(_ attribute: hid_t, type: hid_t, class cls: H5T_class_t, count: Int,
                                     name: String, object: String, file: String) throws(HDF5Error) -> [Int64] {
        let what = "attribute '\(name)' of '\(object)'"
        if cls == H5T_INTEGER {
            let size = H5Tget_size(type)
            if size == 8 && H5Tget_sign(type) == H5T_SGN_NONE {
                var values = [UInt64](repeating: 0, count: count)
                try HDF5Library.check(H5Aread(attribute, vk_H5T_NATIVE_UINT64(), &values), file: file, "reading \(what)")
                var out: [Int64] = []
                out.reserveCapacity(count)
                for v in values {
                    guard let x = Int64(exactly: v) else {
                        throw .unsupportedAttribute(file: file, object: object, attribute: name, detail: "unsigned value \(v) exceeds Int64")
                    }
                    out.append(x)
                }
                return out
            }
            var values = [Int64](repeating: 0, count: count)
            try HDF5Library.check(H5Aread(attribute, vk_H5T_NATIVE_INT64(), &values), file: file, "reading \(what)")
            return values
        }
        // ENUM: read with the native form of its own type (libhdf5 converts enums only to enums),
        // then decode the base integers.
        let base = try HDF5ID(H5Tget_super(type), .datatype, file: file, "reading the base type of \(what)")
        guard H5Tget_class(base.id) == H5T_INTEGER else {
            throw .unsupportedAttribute(file: file, object: object, attribute: name, detail: "enum over a non-integer type")
        }
        let native = try HDF5ID(H5Tget_native_type(type, H5T_DIR_DEFAULT), .datatype, file: file, "making a native type for \(what)")
        let size = H5Tget_size(native.id)
        let signed = H5Tget_sign(base.id) == H5T_SGN_2
        guard [1, 2, 4, 8].contains(size) else {
            throw .unsupportedAttribute(file: file, object: object, attribute: name, detail: "\(size)-byte enum")
        }
        var bytes = [UInt8](repeating: 0, count: count * size)
        try HDF5Library.check(H5Aread(attribute, native.id, &bytes), file: file, "reading \(what)")
        return bytes.withUnsafeBytes { raw in
            (0..<count).map { i -> Int64 in
                let o = i * size
                switch (size, signed) {
                case (1, true): return Int64(raw.load(fromByteOffset: o, as: Int8.self))
                case (1, false): return Int64(raw.load(fromByteOffset: o, as: UInt8.self))
                case (2, true): return Int64(raw.loadUnaligned(fromByteOffset: o, as: Int16.self))
                case (2, false): return Int64(raw.loadUnaligned(fromByteOffset: o, as: UInt16.self))
                case (4, true): return Int64(raw.loadUnaligned(fromByteOffset: o, as: Int32.self))
                case (4, false): return Int64(raw.loadUnaligned(fromByteOffset: o, as: UInt32.self))
                default: return raw.loadUnaligned(fromByteOffset: o, as: Int64.self)
                }
            }
        }
    }

    /// Fixed-length and variable-length strings, decoded as UTF-8 (ASCII is a subset).
    private static func readStrings(_ attribute: hid_t, type: hid_t, space: hid_t, count: Int,
                                    name: String, object: String, file: String) throws(HDF5Error) -> [String] {
        let what = "attribute '\(name)' of '\(object)'"
        let cset = H5Tget_cset(type)
        if H5Tis_variable_str(type) > 0 {
            let memory = try HDF5ID(H5Tcopy(vk_H5T_C_S1()), .datatype, file: file, "making a string type for \(what)")
            try HDF5Library.check(H5Tset_size(memory.id, vk_H5T_VARIABLE()), file: file, "making a string type for \(what)")
            try HDF5Library.check(H5Tset_cset(memory.id, cset), file: file, "making a string type for \(what)")
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            try HDF5Library.check(H5Aread(attribute, memory.id, &pointers), file: file, "reading \(what)")
            let values = pointers.map { p in p.map { String(cString: $0) } ?? "" }
            _ = H5Dvlen_reclaim(memory.id, space, vk_H5P_DEFAULT(), &pointers)
            return values
        }
        let size = H5Tget_size(type)
        let pad = H5Tget_strpad(type)
        var bytes = [UInt8](repeating: 0, count: count * size)
        try HDF5Library.check(H5Aread(attribute, type, &bytes), file: file, "reading \(what)")
        return (0..<count).map { i in
            var element = bytes[(i * size)..<((i + 1) * size)]
            if pad == H5T_STR_SPACEPAD {
                while element.last == 0x20 { element.removeLast() }
            } else if let nul = element.firstIndex(of: 0) {
                element = element[..<nul]
            }
            return String(decoding: element, as: UTF8.self)
        }
    }
}

/// A bound on single allocations made from sizes found in a file: the machine's physical memory.
enum HDF5Memory {
    static let limit: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, pageSize > 0 else { return Int.max }
        let (bytes, overflow) = pages.multipliedReportingOverflow(by: pageSize)
        return overflow ? Int.max : bytes
    }()
}
