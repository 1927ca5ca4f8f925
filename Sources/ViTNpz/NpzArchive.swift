import ViTNumpy
import ViTTensor
import ViTZip

/// A NumPy `.npz` archive (`np.savez` stored or `np.savez_compressed` deflated), read as a checkpoint.
///
/// Tensor names are the member names without `.npy` (for JAX checkpoints, paths such as
/// `Transformer/encoderblock_0/MlpBlock_3/Dense_0/kernel`). Opening reads the ZIP directory and each
/// member's `.npy` header only (for a deflated member, only the header is inflated). `tensor(named:)`
/// returns a zero-copy view into the memory-mapped file for a stored little-endian C-order member;
/// big-endian and Fortran-order members are converted, deflated ones inflated (size and CRC-32 checked).
public final class NpzArchive: TensorSource {
    /// The archive's path.
    public let path: String
    /// `npz`.
    public let formatName = "npz"
    /// Every array, in the archive's directory order.
    public let tensorInfos: [TensorInfo]
    /// Always empty: `.npz` carries no metadata.
    public let metadata: [String: String] = [:]
    /// The ZIP container.
    public let archive: ZipArchive
    private let members: [String: Member]

    struct Member: Sendable {
        let entry: ZipEntry
        let header: NpyHeader
    }

    /// Opens the `.npz` at `path`.
    /// - Parameter path: the archive to open.
    /// - Throws: `NpzError` naming the file and the member.
    public convenience init(path: String) throws {
        let zip: ZipArchive
        do { zip = try ZipArchive(path: path) } catch let e as ZipError { throw NpzError.zip(e) }
        try self.init(archive: zip)
    }

    /// Reads the `.npz` layer over an opened ZIP archive.
    /// - Parameter archive: the ZIP container.
    /// - Throws: `NpzError` naming the file and the member.
    public init(archive: ZipArchive) throws {
        self.path = archive.path
        self.archive = archive
        var infos: [TensorInfo] = []
        var members: [String: Member] = [:]
        for entry in archive.entries where !(entry.isDirectory && entry.uncompressedSize == 0) {
            guard entry.name.hasSuffix(".npy") else { throw NpzError.notNpy(file: archive.path, member: entry.name) }
            let name = String(entry.name.dropLast(4))
            let header = try NpzArchive.readHeader(entry, archive: archive)
            infos.append(TensorInfo(name: name, dtype: header.dtype, shape: header.shape))
            members[name] = Member(entry: entry, header: header)
        }
        tensorInfos = infos
        self.members = members
    }

    /// The parsed `.npy` header of the tensor called `name`, if present.
    public func header(named name: String) -> NpyHeader? { members[name]?.header }

    /// Reads one array as a little-endian C-order tensor.
    /// - Parameter name: the member name without `.npy`.
    /// - Returns: a view into the file for a stored little-endian C-order member, else a converted copy.
    /// - Throws: `NpzError.noSuchTensor`, or `.zip` when a deflated member is corrupt.
    public func tensor(named name: String) throws -> Tensor {
        guard let m = members[name] else { throw NpzError.noSuchTensor(file: path, name: name) }
        let content: ZipMemberBytes
        do { content = try archive.contents(of: m.entry) } catch let e as ZipError { throw NpzError.zip(e) }
        let raw = try Tensor(dtype: m.header.dtype, shape: m.header.shape, storage: content.storage,
                             offset: content.offset + m.header.dataOffset)
        return try NpyFile.normalize(raw, header: m.header)
    }

    /// True when the file at `path` is a ZIP archive holding at least one `.npy` member and no
    /// `data.pkl` (which would make it a `torch.save` file).
    /// - Parameter path: the file to look at (only its ZIP directory is read).
    public static func looksLikeNpz(path: String) -> Bool {
        guard let zip = try? ZipArchive(path: path) else { return false }
        return isNpzArchive(zip)
    }

    /// True when an opened ZIP archive holds at least one `.npy` member and no `data.pkl`.
    /// - Parameter zip: an opened archive.
    public static func isNpzArchive(_ zip: ZipArchive) -> Bool {
        let names = zip.entries.map(\.name)
        return names.contains { $0.hasSuffix(".npy") } && !names.contains { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }
    }

    /// Parses a member's `.npy` header, inflating only as much as the header needs, and checks the
    /// member's size against it.
    static func readHeader(_ entry: ZipEntry, archive: ZipArchive) throws -> NpyHeader {
        let file = archive.path
        var want = 4096
        while true {
            let bytes: [UInt8]
            do { bytes = try archive.prefix(of: entry, count: want) } catch let e as ZipError { throw NpzError.zip(e) }
            do {
                let header = try bytes.withUnsafeBytes { try NpyHeader.parse($0, file: entry.name) }
                guard let data = Shape.byteCount(header.shape, dtype: header.dtype) else {
                    throw NpzError.badNpyHeader(file: file, member: entry.name,
                                                error: .invalidShape(file: entry.name, shape: header.shape))
                }
                let (need, overflow) = header.dataOffset.addingReportingOverflow(data)
                guard !overflow, need == entry.uncompressedSize else {
                    throw NpzError.sizeMismatch(file: file, member: entry.name, expected: overflow ? Int.max : need,
                                                found: entry.uncompressedSize)
                }
                return header
            } catch let e as NpyError {
                // A header longer than the first read: read exactly as much as it says it needs.
                if case let .truncated(_, expected, found) = e, found == want, found < entry.uncompressedSize, expected > want {
                    want = expected
                    continue
                }
                throw NpzError.badNpyHeader(file: file, member: entry.name, error: e)
            }
        }
    }
}
