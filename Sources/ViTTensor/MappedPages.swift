#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps the resident memory of a pass over a memory-mapped checkpoint (a conversion, statistics, a diff)
/// near one tensor.
///
/// Reading a tensor through a mapping makes its file pages resident in this process, and they stay
/// counted in its RSS until the mapping goes away, so a 350 MB input would end with 350 MB resident.
/// After a tensor has been written, `MADV_DONTNEED` drops its pages from this process (they remain in
/// the kernel's page cache, clean, and are read again only if touched again). The mapping is
/// read-only and private, so nothing is lost.
public enum MappedPages {
    public static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// `MADV_POPULATE_READ` (Linux 5.14): map a range's pages in one call instead of one fault per few pages.
    static let populateRead: Int32 = 22

    /// Maps a memory-mapped tensor's pages ahead of a sequential read (nothing for heap tensors). On the
    /// ViT-B benchmark this halves the time `write(2)` spends copying out of the mapping; on a kernel
    /// without `MADV_POPULATE_READ` the call fails harmlessly and pages are faulted in as usual.
    /// - Parameter tensor: a tensor that may be a view into a mapping.
    public static func populate(_ tensor: Tensor) {
        populate(tensor.storage, offset: tensor.offset, count: tensor.byteCount)
    }

    /// Maps the pages of `storage[offset ..< offset + count]` (nothing for heap storage).
    /// - Parameters:
    ///   - storage: the bytes, mapped or on the heap.
    ///   - offset: the first byte.
    ///   - count: the number of bytes.
    public static func populate(_ storage: ByteStorage, offset: Int, count: Int) {
        guard let (start, length) = pageRange(storage, offset: offset, count: count) else { return }
        _ = madvise(UnsafeMutableRawPointer(bitPattern: start), length, populateRead)
    }

    /// Drops the resident pages of a memory-mapped tensor's bytes (nothing for heap tensors).
    /// - Parameter tensor: a tensor that may be a view into a mapping.
    public static func release(_ tensor: Tensor) {
        release(tensor.storage, offset: tensor.offset, count: tensor.byteCount)
    }

    /// Drops the resident pages of `storage[offset ..< offset + count]` (nothing for heap storage).
    /// - Parameters:
    ///   - storage: the bytes, mapped or on the heap.
    ///   - offset: the first byte.
    ///   - count: the number of bytes.
    public static func release(_ storage: ByteStorage, offset: Int, count: Int) {
        guard let (start, length) = pageRange(storage, offset: offset, count: count) else { return }
        _ = madvise(UnsafeMutableRawPointer(bitPattern: start), length, MADV_DONTNEED)
    }

    /// The whole pages covering `storage[offset ..< offset + count]` (nil for heap storage or no bytes).
    static func pageRange(_ storage: ByteStorage, offset: Int, count: Int) -> (UInt, Int)? {
        guard storage.isMapped, count > 0, offset >= 0, offset + count <= storage.count, let base = storage.base else { return nil }
        let start = UInt(bitPattern: base + offset)
        let mask = UInt(pageSize - 1)
        let low = start & ~mask
        // A mapping always spans whole pages, so rounding the end up stays inside it.
        let high = (start + UInt(count) + mask) & ~mask
        return (low, Int(high - low))
    }
}

/// A source that remembers the memory-mapped tensors it hands out, so their pages can be released once
/// the caller is done with them — also those of tensors the caller never sees itself, like the q, k and
/// v that `ViTMapper.materialize` fuses into one new tensor.
public final class PageReleasingSource: TensorSource, @unchecked Sendable {
    /// The wrapped source.
    public let base: any TensorSource
    private let populates: Bool
    private var handedOut: [Tensor] = []

    /// Wraps `base`.
    /// - Parameters:
    ///   - base: the source to read from.
    ///   - populatingReads: map each mapped tensor's pages ahead of reading it (`MappedPages.populate`):
    ///     worth it when every byte is read sequentially, as a conversion does.
    public init(_ base: any TensorSource, populatingReads: Bool = false) {
        self.base = base
        populates = populatingReads
    }

    public var path: String { base.path }
    public var formatName: String { base.formatName }
    public var tensorInfos: [TensorInfo] { base.tensorInfos }
    public var metadata: [String: String] { base.metadata }
    public var configJSON: String? { base.configJSON }
    public var files: [String] { base.files }
    public var keepsRegistrationOrder: Bool { base.keepsRegistrationOrder }
    public func kerasNames() throws -> KerasNames? { try base.kerasNames() }
    public func storedBytes(named name: String) throws -> StoredBytes? { try base.storedBytes(named: name) }

    public func tensor(named name: String) throws -> Tensor {
        let t = try base.tensor(named: name)
        if t.isMapped {
            if populates { MappedPages.populate(t) }
            handedOut.append(t)
        }
        return t
    }

    /// Releases the pages of every mapped tensor handed out since the last call.
    public func releaseHandedOut() {
        for t in handedOut { MappedPages.release(t) }
        handedOut.removeAll(keepingCapacity: true)
    }
}
