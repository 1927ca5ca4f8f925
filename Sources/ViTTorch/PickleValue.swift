import ViTTensor

/// A value built by the restricted unpickler. Containers are reference types (pickle mutates them
/// after they are memoized) registered in a `PickleArena`, which empties them all when released so
/// that arbitrarily deep or cyclic structures are freed without recursion.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer outside Int64 (kept opaque: no allocation for its digits).
    case bigInt
    case float(Double)
    case string(String)
    /// Bytes (or a non-UTF-8 py2 string); only the length is kept.
    case bytes(count: Int)
    case list(PickleList)
    case tuple(PickleTuple)
    case dict(PickleDict)
    case global(AllowedGlobal)
    case storage(PickleStorage)
    case tensor(PickleTensor)

    /// A short type name for error messages (never recurses).
    var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case let .list(l): return l.isSet ? "set" : "list"
        case .tuple: return "tuple"
        case let .dict(d): return d.isOrdered ? "OrderedDict" : "dict"
        case let .global(g): return g.qualifiedName
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }
}

/// A pickled list (or set: `EMPTY_SET`/`ADDITEMS`/`FROZENSET`, kept as a list).
final class PickleList {
    var items: [PickleValue] = []
    let isSet: Bool
    init(isSet: Bool = false) { self.isSet = isSet }
}

/// A pickled tuple.
final class PickleTuple {
    var items: [PickleValue]
    init(_ items: [PickleValue]) { self.items = items }
}

/// A pickled dict or `OrderedDict`, in insertion order. String keys behave as in Python (setting
/// an existing key replaces its value in place); other keys are only kept, never compared.
final class PickleDict {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var stringIndex: [String: Int] = [:]
    let isOrdered: Bool
    init(isOrdered: Bool) { self.isOrdered = isOrdered }

    func set(_ key: PickleValue, _ value: PickleValue) {
        if case let .string(s) = key {
            if let i = stringIndex[s] { entries[i].value = value; return }
            stringIndex[s] = entries.count
        }
        entries.append((key, value))
    }

    /// The value stored under the string key `key`.
    subscript(key: String) -> PickleValue? { stringIndex[key].map { entries[$0].value } }

    func removeAll() {
        entries.removeAll()
        stringIndex.removeAll()
    }
}

/// A storage named by a persistent id: `('storage', <storage class>, key, location, numel)`.
final class PickleStorage {
    let dtype: DType
    let key: String
    let location: String
    let numel: Int
    init(dtype: DType, key: String, location: String, numel: Int) {
        self.dtype = dtype
        self.key = key
        self.location = location
        self.numel = numel
    }
}

/// A tensor rebuilt by `_rebuild_tensor_v2`/`_v3` (optionally wrapped by `_rebuild_parameter`): a strided
/// view of a storage. Bounds are checked later, when the tensor's name is known.
final class PickleTensor {
    let storage: PickleStorage
    let dtype: DType
    let storageOffset: Int
    let size: [Int]
    let stride: [Int]
    let isParameter: Bool
    init(storage: PickleStorage, dtype: DType, storageOffset: Int, size: [Int], stride: [Int], isParameter: Bool) {
        self.storage = storage
        self.dtype = dtype
        self.storageOffset = storageOffset
        self.size = size
        self.stride = stride
        self.isParameter = isParameter
    }
}

/// Owns every container the unpickler creates; `release()` (or deinit) empties them all first, so
/// dropping them never recurses through nested or cyclic values.
final class PickleArena {
    private var lists: [PickleList] = []
    private var tuples: [PickleTuple] = []
    private var dicts: [PickleDict] = []

    func list(isSet: Bool = false) -> PickleList {
        let l = PickleList(isSet: isSet)
        lists.append(l)
        return l
    }

    func tuple(_ items: [PickleValue]) -> PickleTuple {
        let t = PickleTuple(items)
        tuples.append(t)
        return t
    }

    func dict(isOrdered: Bool) -> PickleDict {
        let d = PickleDict(isOrdered: isOrdered)
        dicts.append(d)
        return d
    }

    /// Empties every container, then drops them.
    func release() {
        for l in lists { l.items.removeAll() }
        for t in tuples { t.items.removeAll() }
        for d in dicts { d.removeAll() }
        lists.removeAll()
        tuples.removeAll()
        dicts.removeAll()
    }

    deinit { release() }
}
