#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ViTTensor

/// Streams a tensor's elements as Float64, a fixed-size block at a time, so statistics and comparisons
/// need memory for one block, not for a converted copy of the tensor.
///
/// Conversion is exact for every float type (and integers up to 2⁵³); 64-bit integers beyond that round
/// to nearest.
enum DoubleBlocks {
    /// Elements per block (512 KiB of Float64).
    static let blockSize = 65_536

    /// Calls `body` with consecutive blocks of `tensor`'s elements converted to Float64.
    /// - Parameters:
    ///   - tensor: any tensor, mapped or on the heap.
    ///   - body: receives each block and the index of its first element.
    static func forEach(_ tensor: Tensor, _ body: (UnsafeBufferPointer<Double>, Int) throws -> Void) rethrows {
        let n = tensor.elementCount
        guard n > 0 else { return }
        let doubles = UnsafeMutableBufferPointer<Double>.allocate(capacity: min(blockSize, n))
        defer { doubles.deallocate() }
        var start = 0
        while start < n {
            let m = min(blockSize, n - start)
            convert(tensor, start: start, count: m, into: doubles)
            try body(UnsafeBufferPointer(rebasing: doubles[0..<m]), start)
            start += m
        }
    }

    /// Converts elements `start ..< start + count` of `tensor` into the first `count` slots of `out`
    /// (`count` must not exceed `out.count` or run past the tensor; callers take both from the tensor).
    static func convert(_ tensor: Tensor, start: Int, count: Int, into out: UnsafeMutableBufferPointer<Double>) {
        let m = min(count, out.count, tensor.elementCount - start)
        guard m > 0, start >= 0, let o = out.baseAddress else { return }
        let size = tensor.dtype.byteSize
        tensor.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            let s = base + start * size
            switch tensor.dtype {
            case .f32:
                for i in 0..<m { o[i] = Double(s.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)) }
            case .f64:
                for i in 0..<m { o[i] = s.loadUnaligned(fromByteOffset: 8 * i, as: Double.self) }
            case .i64:
                for i in 0..<m { o[i] = Double(s.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
            case .u64:
                for i in 0..<m { o[i] = Double(s.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
            case .i32:
                for i in 0..<m { o[i] = Double(s.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
            case .u32:
                for i in 0..<m { o[i] = Double(s.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
            default:
                // F16, BF16, the F8 types and the small integers are exact in Float32: convert a chunk at
                // a time on the stack.
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 1024) { f in
                    guard let fp = f.baseAddress else { return }
                    var i = 0
                    while i < m {
                        let k = min(1024, m - i)
                        let chunk = UnsafeRawBufferPointer(start: s + i * size, count: k * size)
                        ElementConversion.toFloat32(chunk, dtype: tensor.dtype, into: fp, count: k)
                        for j in 0..<k { o[i + j] = Double(fp[j]) }
                        i += k
                    }
                }
            }
        }
    }
}

/// Gives back the resident pages of a memory-mapped tensor once it has been read, so streaming over a
/// whole checkpoint keeps about one tensor resident instead of the whole file.
enum PageRelease {
    /// Drops `tensor`'s pages from the process's resident set when it is a view into a read-only file
    /// mapping (they are read from the file again if touched); does nothing for heap tensors.
    static func release(_ tensor: Tensor) {
        guard tensor.isMapped, tensor.byteCount > 0, let base = tensor.storage.base else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let mapStart = Int(bitPattern: base)
        let start = mapStart + tensor.offset
        let lower = max(start / page * page, mapStart)
        let upper = min((start + tensor.byteCount + page - 1) / page * page,
                        (mapStart + tensor.storage.count + page - 1) / page * page)
        guard upper > lower, let p = UnsafeMutableRawPointer(bitPattern: lower) else { return }
        _ = madvise(p, upper - lower, Int32(MADV_DONTNEED))
    }
}

/// A source that remembers the tensors it hands out, so a caller can give back their pages once done —
/// also those of tensors it never sees itself, like the q, k and v that `ViTMapper.materialize` fuses
/// into one new tensor.
final class PageReleasingSource: TensorSource, @unchecked Sendable {
    private let base: any TensorSource
    private var handedOut: [Tensor] = []

    init(_ base: any TensorSource) { self.base = base }

    var path: String { base.path }
    var formatName: String { base.formatName }
    var tensorInfos: [TensorInfo] { base.tensorInfos }
    var metadata: [String: String] { base.metadata }
    var configJSON: String? { base.configJSON }

    func tensor(named name: String) throws -> Tensor {
        let t = try base.tensor(named: name)
        handedOut.append(t)
        return t
    }

    /// Releases the pages of every tensor handed out since the last call and forgets them.
    func releaseAll() {
        for t in handedOut { PageRelease.release(t) }
        handedOut.removeAll(keepingCapacity: true)
    }
}
