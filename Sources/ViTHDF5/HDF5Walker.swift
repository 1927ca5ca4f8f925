internal import CHDF5
import ViTTensor

/// One dataset ViTKit can read as a tensor: its HDF5 object path and its tensor info.
public struct HDF5Dataset: Sendable, Equatable {
    /// The absolute object path, e.g. `/blocks/0/attn/qkv/weight` or `/blocks.0.attn.qkv.weight`.
    public let path: String
    /// The flattened name (path without the leading `/`, every `/` replaced by `.`), dtype and shape.
    public let info: TensorInfo
}

/// A dataset ViTKit cannot read as a tensor (a string, compound, untagged opaque, … dataset).
public struct HDF5UnreadableDataset: Sendable, Equatable {
    /// The absolute object path.
    public let path: String
    /// The flattened name.
    public let name: String
    /// What reading it reports.
    public let error: HDF5Error
}

/// A link that is not a hard link. ViTKit does not follow these: a soft link is an alias of another
/// path in the same file, an external link points into another file.
public struct HDF5Link: Sendable, Equatable {
    /// Soft, external or user-defined.
    public enum Kind: String, Sendable { case soft, external, userDefined = "user-defined" }
    /// The absolute path of the link itself.
    public let path: String
    /// Its kind.
    public let kind: Kind
    /// A soft link's target path; an external link's `file:path`; empty for a user-defined link.
    public let target: String
}

/// A dataset found by the walk, with how to read it (or why it cannot be read).
struct WalkedDataset {
    let path: String
    let name: String
    let shape: [Int]
    let plan: Result<DatasetPlan, HDF5Error>
}

/// Everything the walk found, in depth-first HDF5 name order (as h5py's `visititems` visits).
struct WalkResult {
    var datasets: [WalkedDataset] = []
    var groups: [String] = ["/"]
    var links: [HDF5Link] = []
}

/// Walks every group of a file recursively. Every function expects the caller to hold the libhdf5 lock.
enum HDF5Walker {
    /// The flattened tensor name of an object path: no leading `/`, `/` → `.`.
    static func flatName(_ path: String) -> String {
        String(path.drop { $0 == "/" }).replacingSlashes()
    }

    static func walk(file: hid_t, fileName: String) throws(HDF5Error) -> WalkResult {
        var result = WalkResult()
        let root = try HDF5ID(H5Gopen2(file, "/", vk_H5P_DEFAULT()), .group, file: fileName, "opening the root group")
        var info = H5O_info_t()
        try HDF5Library.check(H5Oget_info2(root.id, &info, UInt32(H5O_INFO_BASIC)), file: fileName, "describing the root group")
        try walkGroup(root.id, path: "", ancestors: [info.addr], fileName: fileName, into: &result)
        return result
    }

    /// The links of `group` in name order.
    private static func links(of group: hid_t, path: String, fileName: String) throws(HDF5Error) -> [(name: String, type: H5L_type_t)] {
        var found: [(name: String, type: H5L_type_t)] = []
        var index: hsize_t = 0
        let status = withUnsafeMutablePointer(to: &found) { pointer in
            H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, info, context in
                guard let name, let info, let context else { return -1 }
                context.assumingMemoryBound(to: [(name: String, type: H5L_type_t)].self)
                    .pointee.append((String(cString: name), info.pointee.type))
                return 0
            }, UnsafeMutableRawPointer(pointer))
        }
        try HDF5Library.check(status, file: fileName, "listing group '\(path.isEmpty ? "/" : path)'")
        return found
    }

    private static func walkGroup(_ group: hid_t, path: String, ancestors: Set<haddr_t>, fileName: String,
                                  into result: inout WalkResult) throws(HDF5Error) {
        for link in try links(of: group, path: path, fileName: fileName) {
            let childPath = path + "/" + link.name
            switch link.type {
            case H5L_TYPE_HARD:
                var info = H5O_info_t()
                try HDF5Library.check(H5Oget_info_by_name2(group, link.name, &info, UInt32(H5O_INFO_BASIC), vk_H5P_DEFAULT()),
                                      file: fileName, "describing '\(childPath)'")
                switch info.type {
                case H5O_TYPE_GROUP:
                    if ancestors.contains(info.addr) { throw .linkCycle(file: fileName, path: childPath) }
                    result.groups.append(childPath)
                    let child = try HDF5ID(H5Gopen2(group, link.name, vk_H5P_DEFAULT()), .group, file: fileName,
                                           "opening group '\(childPath)'")
                    try walkGroup(child.id, path: childPath, ancestors: ancestors.union([info.addr]), fileName: fileName, into: &result)
                case H5O_TYPE_DATASET:
                    result.datasets.append(try describeDataset(in: group, name: link.name, path: childPath, fileName: fileName))
                default:
                    break  // a committed datatype: a type definition, not data
                }
            case H5L_TYPE_SOFT, H5L_TYPE_EXTERNAL:
                result.links.append(try describeLink(in: group, name: link.name, path: childPath, type: link.type, fileName: fileName))
            default:
                result.links.append(HDF5Link(path: childPath, kind: .userDefined, target: ""))
            }
        }
    }

    private static func describeLink(in group: hid_t, name: String, path: String, type: H5L_type_t,
                                     fileName: String) throws(HDF5Error) -> HDF5Link {
        var info = H5L_info_t()
        try HDF5Library.check(H5Lget_info(group, name, &info, vk_H5P_DEFAULT()), file: fileName, "describing link '\(path)'")
        let size = info.u.val_size
        var value = [CChar](repeating: 0, count: size + 1)
        try HDF5Library.check(H5Lget_val(group, name, &value, size, vk_H5P_DEFAULT()), file: fileName, "reading link '\(path)'")
        if type == H5L_TYPE_SOFT {
            return HDF5Link(path: path, kind: .soft, target: HDF5Library.string(value))
        }
        var flags: UInt32 = 0
        var targetFile: UnsafePointer<CChar>?
        var targetObject: UnsafePointer<CChar>?
        try HDF5Library.check(H5Lunpack_elink_val(&value, size, &flags, &targetFile, &targetObject), file: fileName,
                              "reading external link '\(path)'")
        let target = (targetFile.map { String(cString: $0) } ?? "") + ":" + (targetObject.map { String(cString: $0) } ?? "")
        return HDF5Link(path: path, kind: .external, target: target)
    }

    /// The shape and read plan of the dataset `name` in `group`.
    static func describeDataset(in group: hid_t, name: String, path: String, fileName: String) throws(HDF5Error) -> WalkedDataset {
        let dataset = try HDF5ID(H5Dopen2(group, name, vk_H5P_DEFAULT()), .dataset, file: fileName, "opening dataset '\(path)'")
        let type = try HDF5ID(H5Dget_type(dataset.id), .datatype, file: fileName, "reading the type of dataset '\(path)'")
        let space = try HDF5ID(H5Dget_space(dataset.id), .dataspace, file: fileName, "reading the dataspace of dataset '\(path)'")
        let flat = flatName(path)
        let unreadable = { (error: HDF5Error) in WalkedDataset(path: path, name: flat, shape: [], plan: .failure(error)) }

        let plan: DatasetPlan
        switch try HDF5Types.plan(type: type.id, dataset: dataset.id, path: path, file: fileName) {
        case let .success(p): plan = p
        case let .failure(e): return unreadable(e)
        }

        var dims: [hsize_t] = []
        switch H5Sget_simple_extent_type(space.id) {
        case H5S_SCALAR:
            break
        case H5S_SIMPLE:
            let rank = try HDF5Library.check(H5Sget_simple_extent_ndims(space.id), file: fileName, "reading the rank of dataset '\(path)'")
            dims = [hsize_t](repeating: 0, count: Int(rank))
            try HDF5Library.check(H5Sget_simple_extent_dims(space.id, &dims, nil), file: fileName, "reading the shape of dataset '\(path)'")
        case H5S_NULL:
            return unreadable(.unsupportedDataspace(file: fileName, dataset: path, kind: "null"))
        default:
            throw HDF5Library.failure(file: fileName, operation: "reading the dataspace of dataset '\(path)'")
        }
        let tooLarge = HDF5Error.tooLarge(file: fileName, dataset: path, shape: dims, elementSize: plan.dtype.byteSize)
        var shape: [Int] = []
        for d in dims {
            guard let v = Int(exactly: d) else { return unreadable(tooLarge) }
            shape.append(v)
        }
        guard Shape.byteCount(shape, dtype: plan.dtype) != nil else { return unreadable(tooLarge) }
        return WalkedDataset(path: path, name: flat, shape: shape, plan: .success(plan))
    }
}

extension String {
    func replacingSlashes() -> String {
        String(map { $0 == "/" ? "." : $0 })
    }
}
