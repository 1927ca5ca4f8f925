#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ViTTensor

/// Keeps a streaming conversion's resident memory near one tensor when the input is memory-mapped.
///
/// Reading a tensor through a mapping makes its file pages resident in this process, and they stay
/// counted in its RSS until the mapping goes away, so a 350 MB input would end with 350 MB resident.
/// After a tensor has been written, `MADV_DONTNEED` drops its pages from this process (they remain in
/// the kernel's page cache, clean, and are read again only if touched again). The mapping is
/// read-only and private, so nothing is lost.
enum MappedPages {
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Drops the resident pages of a memory-mapped tensor's bytes (nothing for heap tensors).
    /// - Parameter tensor: a tensor that may be a view into a mapping.
    static func release(_ tensor: Tensor) {
        guard tensor.isMapped, tensor.byteCount > 0, let base = tensor.storage.base else { return }
        let start = UInt(bitPattern: base + tensor.offset)
        let mask = UInt(pageSize - 1)
        let low = start & ~mask
        // A mapping always spans whole pages, so rounding the end up stays inside it.
        let high = (start + UInt(tensor.byteCount) + mask) & ~mask
        _ = madvise(UnsafeMutableRawPointer(bitPattern: low), Int(high - low), MADV_DONTNEED)
    }
}

/// A source that remembers the memory-mapped tensors it handed out, so their pages can be released
/// once the canonical tensor built from them has been written.
final class PageReleasingSource: TensorSource, @unchecked Sendable {
    let base: TensorSource
    private var handedOut: [Tensor] = []

    init(_ base: TensorSource) { self.base = base }

    var path: String { base.path }
    var formatName: String { base.formatName }
    var tensorInfos: [TensorInfo] { base.tensorInfos }
    var metadata: [String: String] { base.metadata }
    var configJSON: String? { base.configJSON }

    func tensor(named name: String) throws -> Tensor {
        let t = try base.tensor(named: name)
        if t.isMapped { handedOut.append(t) }
        return t
    }

    /// Releases the pages of every mapped tensor handed out since the last call.
    func releaseHandedOut() {
        for t in handedOut { MappedPages.release(t) }
        handedOut.removeAll(keepingCapacity: true)
    }
}
