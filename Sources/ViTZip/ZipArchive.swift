import ViTTensor

/// A ZIP archive opened read-only over a memory map: the central directory parsed and validated,
/// member contents read on request (stored members as views into the map, deflated ones inflated).
///
/// Only what `.npz` and `torch.save` files need is accepted: a single-disk archive, stored or
/// deflated members, ZIP64 sizes and offsets, UTF-8 names. Rules checked when opening: the end
/// records are consistent, the central directory ends exactly where they begin, the entry count
/// matches, names are unique, and no member's region overlaps another's or the directory.
/// A member's local header is read only when its content is asked for.
public final class ZipArchive: Sendable {
    /// The file the archive was opened from.
    public let path: String
    /// The memory-mapped file.
    public let storage: ByteStorage
    /// Every member, in central-directory order.
    public let entries: [ZipEntry]
    private let byName: [String: Int]

    static let endRecordSignature = 0x0605_4B50
    static let zip64LocatorSignature = 0x0706_4B50
    static let zip64EndRecordSignature = 0x0606_4B50
    static let centralHeaderSignature = 0x0201_4B50
    static let localHeaderSignature = 0x0403_4B50
    /// Deflate cannot expand by more than 1032:1; a larger claim is refused before allocating.
    static let maxDeflateRatio = 1032

    /// Maps and opens the archive at `path`.
    /// - Parameter path: the file to open.
    /// - Throws: `ZipError` naming the file.
    public convenience init(path: String) throws {
        let storage: ByteStorage
        do { storage = try ByteStorage(mapping: path) } catch let TensorError.io(_, message) {
            throw ZipError.io(file: path, message: message)
        }
        try self.init(storage: storage, path: path)
    }

    /// Opens the archive held in `storage` (usually a memory map of `path`).
    /// - Parameters:
    ///   - storage: the archive's bytes.
    ///   - path: the name used in errors.
    /// - Throws: `ZipError` naming `path`.
    public init(storage: ByteStorage, path: String) throws {
        self.path = path
        self.storage = storage
        let bytes = storage.bytes
        let dir = try ZipArchive.findDirectory(bytes, file: path)
        let parsed = try ZipArchive.parseDirectory(bytes, dir: dir, file: path)
        entries = parsed
        var names: [String: Int] = [:]
        for e in parsed {
            guard names.updateValue(e.index, forKey: e.name) == nil else {
                throw ZipError.duplicateMember(file: path, member: e.name)
            }
        }
        byName = names
    }

    /// True when `prefix` (the first bytes of a file) starts like a ZIP archive: a local header,
    /// or the end record of an empty archive.
    public static func hasSignature(_ prefix: [UInt8]) -> Bool {
        guard prefix.count >= 4, prefix[0] == 0x50, prefix[1] == 0x4B else { return false }
        return (prefix[2] == 3 && prefix[3] == 4) || (prefix[2] == 5 && prefix[3] == 6)
    }

    /// The member called `name`, if present.
    public func entry(named name: String) -> ZipEntry? { byName[name].map { entries[$0] } }

    // MARK: - End records

    struct Directory {
        var offset: Int
        var size: Int
        var count: Int
        /// Where the directory must end: the ZIP64 end record, or the classic end record.
        var end: Int
    }

    static func findDirectory(_ b: UnsafeRawBufferPointer, file: String) throws -> Directory {
        let n = b.count
        guard n >= 22 else { throw ZipError.notAZip(file: file) }
        var eocd = -1
        var pos = n - 22
        let lowest = max(0, n - 22 - 0xFFFF)
        while pos >= lowest {
            if b[pos] == 0x50, b[pos + 1] == 0x4B, b[pos + 2] == 5, b[pos + 3] == 6, pos + 22 + b.le16(pos + 20) == n {
                eocd = pos
                break
            }
            pos -= 1
        }
        guard eocd >= 0 else { throw ZipError.notAZip(file: file) }
        let disk = b.le16(eocd + 4), cdDisk = b.le16(eocd + 6)
        let countDisk = b.le16(eocd + 8), count = b.le16(eocd + 10)
        let size = b.le32(eocd + 12), offset = b.le32(eocd + 16)

        let loc = eocd - 20
        if loc >= 0, b.le32(loc) == zip64LocatorSignature {
            guard b.le32(loc + 4) == 0, b.le32(loc + 16) <= 1 else { throw ZipError.multiDisk(file: file) }  // some writers say 0 disks
            let recordOffset64 = b.le64(loc + 8)
            guard recordOffset64 <= UInt64(loc), Int(recordOffset64) + 56 <= loc else {
                throw ZipError.badZip64EndRecord(file: file, detail: "record offset \(recordOffset64) is not before the locator at \(loc)")
            }
            let r = Int(recordOffset64)
            guard b.le32(r) == zip64EndRecordSignature else {
                throw ZipError.badZip64EndRecord(file: file, detail: "no ZIP64 end record signature at offset \(r)")
            }
            guard b.le32(r + 16) == 0, b.le32(r + 20) == 0 else { throw ZipError.multiDisk(file: file) }
            let countDisk64 = b.le64(r + 24), count64 = b.le64(r + 32)
            let size64 = b.le64(r + 40), offset64 = b.le64(r + 48)
            guard countDisk64 == count64 else { throw ZipError.multiDisk(file: file) }
            guard count64 <= UInt64(Int.max), size64 <= UInt64(n), offset64 <= UInt64(n) else {
                throw ZipError.badZip64EndRecord(file: file, detail: "entry count, directory size or offset exceeds the file")
            }
            // A classic field that is not saturated must agree with its ZIP64 value.
            func agrees(_ classic: Int, _ saturated: Int, _ v64: UInt64) -> Bool { classic == saturated || UInt64(classic) == v64 }
            guard agrees(count, 0xFFFF, count64), agrees(size, 0xFFFF_FFFF, size64), agrees(offset, 0xFFFF_FFFF, offset64) else {
                throw ZipError.badZip64EndRecord(file: file, detail: "the classic end record disagrees with the ZIP64 one")
            }
            return try checked(Directory(offset: Int(offset64), size: Int(size64), count: Int(count64), end: r), file: file)
        }
        guard disk == 0, cdDisk == 0, countDisk == count else { throw ZipError.multiDisk(file: file) }
        if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            throw ZipError.badZip64EndRecord(file: file, detail: "saturated end record fields but no ZIP64 locator")
        }
        return try checked(Directory(offset: offset, size: size, count: count, end: eocd), file: file)
    }

    private static func checked(_ d: Directory, file: String) throws -> Directory {
        let (sum, overflow) = d.offset.addingReportingOverflow(d.size)
        guard !overflow, sum == d.end else {
            throw ZipError.directoryOutOfBounds(file: file, offset: d.offset, size: d.size, end: d.end)
        }
        // Each header is at least 46 bytes: refuse an impossible count before allocating for it.
        guard d.count <= d.size / 46 else { throw ZipError.entryCountMismatch(file: file, declared: d.count, found: d.size / 46) }
        return d
    }

    // MARK: - Central directory

    static func parseDirectory(_ b: UnsafeRawBufferPointer, dir: Directory, file: String) throws -> [ZipEntry] {
        struct Raw { var name: String; var method: ZipEntry.Method; var csize: Int; var usize: Int; var crc: UInt32; var lho: Int; var nameLength: Int }
        var raws: [Raw] = []
        raws.reserveCapacity(dir.count)
        var p = dir.offset
        let end = dir.offset + dir.size
        for i in 0..<dir.count {
            guard p + 46 <= end, b.le32(p) == centralHeaderSignature else {
                if p >= end { throw ZipError.entryCountMismatch(file: file, declared: dir.count, found: i) }
                throw ZipError.badCentralHeader(file: file, index: i, offset: p)
            }
            let flags = b.le16(p + 8), methodCode = b.le16(p + 10)
            let crc = b.le32u(p + 16)
            var csize = b.le32(p + 20), usize = b.le32(p + 24)
            let nameLength = b.le16(p + 28), extraLength = b.le16(p + 30), commentLength = b.le16(p + 32)
            var disk = b.le16(p + 34)
            var lho = b.le32(p + 42)
            let nameStart = p + 46
            let next = nameStart + nameLength + extraLength + commentLength
            guard next <= end else { throw ZipError.badCentralHeader(file: file, index: i, offset: p) }
            let nameBytes = UnsafeRawBufferPointer(rebasing: b[nameStart..<(nameStart + nameLength)])
            guard nameLength > 0, !nameBytes.contains(0), let name = String(validating: nameBytes, as: UTF8.self) else {
                throw ZipError.badName(file: file, index: i)
            }
            // ZIP64 extended information: the saturated fields, in this order.
            if usize == 0xFFFF_FFFF || csize == 0xFFFF_FFFF || lho == 0xFFFF_FFFF || disk == 0xFFFF {
                guard let z = zip64Field(b, start: nameStart + nameLength, length: extraLength, file: file, member: name) else {
                    throw ZipError.badExtraField(file: file, member: name)
                }
                var q = z.start
                func take64() throws -> Int {
                    guard q + 8 <= z.end else { throw ZipError.badExtraField(file: file, member: name) }
                    let v = b.le64(q)
                    q += 8
                    guard v <= UInt64(Int.max) else { throw ZipError.memberOutOfBounds(file: file, member: name, end: Int.max, limit: b.count) }
                    return Int(v)
                }
                if usize == 0xFFFF_FFFF { usize = try take64() }
                if csize == 0xFFFF_FFFF { csize = try take64() }
                if lho == 0xFFFF_FFFF { lho = try take64() }
                if disk == 0xFFFF {
                    guard q + 4 <= z.end else { throw ZipError.badExtraField(file: file, member: name) }
                    disk = b.le32(q)
                }
            } else if extraLength > 0, !extraFieldsWellFormed(b, start: nameStart + nameLength, length: extraLength) {
                throw ZipError.badExtraField(file: file, member: name)
            }
            guard disk == 0 else { throw ZipError.multiDisk(file: file) }
            guard flags & 1 == 0 else { throw ZipError.encrypted(file: file, member: name) }
            guard let method = ZipEntry.Method(rawValue: methodCode) else {
                throw ZipError.unsupportedCompression(file: file, member: name, method: methodCode)
            }
            switch method {
            case .stored:
                guard csize == usize else {
                    throw ZipError.storedSizeMismatch(file: file, member: name, compressed: csize, uncompressed: usize)
                }
            case .deflated:
                let (limit, o) = csize.multipliedReportingOverflow(by: maxDeflateRatio)
                guard o || usize <= limit + 16 else {
                    throw ZipError.implausibleSize(file: file, member: name, compressed: csize, uncompressed: usize)
                }
            }
            raws.append(Raw(name: name, method: method, csize: csize, usize: usize, crc: crc, lho: lho, nameLength: nameLength))
            p = next
        }
        guard p == end else { throw ZipError.entryCountMismatch(file: file, declared: dir.count, found: dir.count + 1) }

        // Regions: each member owns [its local header, the next member's local header or the directory).
        let order = raws.indices.sorted { raws[$0].lho < raws[$1].lho }
        var regionEnds = [Int](repeating: dir.offset, count: raws.count)
        for (k, i) in order.enumerated() {
            let limit = k + 1 < order.count ? raws[order[k + 1]].lho : dir.offset
            regionEnds[i] = limit
            let r = raws[i]
            // Lower bound of the member's extent (the local extra field can only add to it).
            let (a, o1) = r.lho.addingReportingOverflow(30 + r.nameLength)
            let (extent, o2) = a.addingReportingOverflow(r.csize)
            guard !o1, !o2, extent <= limit else {
                throw ZipError.memberOutOfBounds(file: file, member: r.name, end: o1 || o2 ? Int.max : extent, limit: limit)
            }
        }
        return raws.enumerated().map { i, r in
            ZipEntry(name: r.name, index: i, method: r.method, compressedSize: r.csize, uncompressedSize: r.usize,
                     crc32: r.crc, localHeaderOffset: r.lho, regionEnd: regionEnds[i])
        }
    }

    /// Walks the extra fields; returns the ZIP64 field's payload range, nil when they are malformed or it is absent.
    static func zip64Field(_ b: UnsafeRawBufferPointer, start: Int, length: Int, file: String, member: String) -> (start: Int, end: Int)? {
        var q = start
        let end = start + length
        while q + 4 <= end {
            let id = b.le16(q), size = b.le16(q + 2)
            guard q + 4 + size <= end else { return nil }
            if id == 1 { return (q + 4, q + 4 + size) }
            q += 4 + size
        }
        return nil
    }

    /// True when the extra fields exactly fill `length` bytes.
    static func extraFieldsWellFormed(_ b: UnsafeRawBufferPointer, start: Int, length: Int) -> Bool {
        var q = start
        let end = start + length
        while q + 4 <= end {
            q += 4 + b.le16(q + 2)
        }
        return q == end
    }
}
