import ViTZip

/// Errors reading a `torch.save` checkpoint. Every case names the file, and the tensor or member
/// when one is concerned.
public enum TorchError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The ZIP container is not readable.
    case zip(ZipError)
    /// A pre-1.6 (non-zip) `torch.save` file.
    case legacyFormat(file: String)
    /// A ZIP archive with no `<archive>/data.pkl`.
    case noDataPickle(file: String)
    /// More than one `<archive>/data.pkl`.
    case ambiguousArchive(file: String, archives: [String])
    /// A TorchScript archive (`torch.jit.save`), whose pickle names TorchScript classes.
    case torchScript(file: String)
    /// The `byteorder` record is neither `little` nor `big`.
    case badByteOrder(file: String, found: String)
    /// The pickle names a global outside the allow-list (nothing was executed).
    case disallowedGlobal(file: String, module: String, name: String)
    /// The pickle calls something that is not an allowed callable (nothing was executed).
    case disallowedCall(file: String, callable: String)
    /// The pickle sets the state of something other than an OrderedDict.
    case disallowedBuild(file: String, target: String)
    /// The pickle is malformed or exceeds a limit.
    case pickle(file: String, error: PickleError)
    /// The top-level object is not a dict.
    case notADict(file: String, found: String)
    /// A state-dict key that is not a string.
    case nonStringKey(file: String, found: String)
    /// A state-dict entry that is not a tensor.
    case notATensor(file: String, key: String, found: String)
    /// Two keys name the same tensor once the `module.`/`_orig_mod.` prefixes are stripped.
    case duplicateTensor(file: String, name: String)
    /// The storage a tensor refers to has no `data/<key>` record.
    case missingStorage(file: String, tensor: String, key: String)
    /// A storage record's size differs from the element count its persistent id declares.
    case storageSizeMismatch(file: String, key: String, expected: Int, found: Int)
    /// A tensor's size, stride and offset reach outside its storage (or overflow).
    case tensorOutOfBounds(file: String, tensor: String, needed: Int, storageBytes: Int)
    /// No tensor of that name.
    case noSuchTensor(file: String, name: String)
    /// Writing: a tensor whose dtype has no torch storage class here (f32, f16, bf16 and f64 have).
    case unsupportedDType(file: String, tensor: String, dtype: String)

    public var description: String {
        switch self {
        case let .zip(e):
            return e.description
        case let .unsupportedDType(f, t, d):
            return "\(f): cannot write \(t) as \(d) to torch.save; store f32, f16, bf16 or f64 (use --dtype)"
        case let .legacyFormat(f):
            return "\(f): a legacy (pre-1.6, non-zip) torch.save file, which ViTKit does not read; re-save it with a "
                + "current PyTorch: python -c \"import torch; torch.save(torch.load('\(f)', weights_only=True), 'new.pth')\""
        case let .noDataPickle(f):
            return "\(f): a ZIP archive but not a torch.save file (no <archive>/data.pkl member)"
        case let .ambiguousArchive(f, a):
            return "\(f): several torch archives in one file (\(a.joined(separator: ", "))); expected one <archive>/data.pkl"
        case let .torchScript(f):
            return "\(f): a TorchScript archive (torch.jit.save); save the weights with torch.save(model.state_dict(), path)"
        case let .badByteOrder(f, b):
            return "\(f): the byteorder record says '\(b)'; expected 'little' or 'big'"
        case let .disallowedGlobal(f, m, n):
            return "\(f): refused: the pickle names \(m).\(n), which is not on ViTKit's allow-list "
                + "(only tensors, storages and OrderedDicts may be loaded; nothing was executed)"
        case let .disallowedCall(f, c):
            return "\(f): refused: the pickle calls \(c), which is not an allowed callable (nothing was executed)"
        case let .disallowedBuild(f, t):
            return "\(f): refused: the pickle sets the state of \(t) (only an OrderedDict's state may be set)"
        case let .pickle(f, e):
            return "\(f): data.pkl: \(e.description)"
        case let .notADict(f, k):
            return "\(f): the checkpoint holds a \(k), expected a dict of tensors (a state dict)"
        case let .nonStringKey(f, k):
            return "\(f): the state dict has a \(k) key; expected str keys"
        case let .notATensor(f, k, t):
            return "\(f): state dict entry '\(k)' is a \(t), expected a tensor"
        case let .duplicateTensor(f, n):
            return "\(f): two entries are named '\(n)' once the module./_orig_mod. prefixes are stripped"
        case let .missingStorage(f, t, k):
            return "\(f): tensor '\(t)' refers to storage '\(k)', which has no data/\(k) record"
        case let .storageSizeMismatch(f, k, e, n):
            return "\(f): storage record data/\(k) holds \(n) bytes, its declaration needs \(e)"
        case let .tensorOutOfBounds(f, t, e, n):
            return "\(f): tensor '\(t)' needs \(e == Int.max ? "more than Int.max" : String(e)) bytes of its storage, which holds \(n)"
        case let .noSuchTensor(f, n):
            return "\(f): no tensor named '\(n)'"
        }
    }
}
