import ViTTensor

/// Strided views of torch storages: contiguity and bounds, and copying into C order.
enum StridedCopy {
    /// True when `stride` is the C-order stride of `size` (dimensions of size 1 may have any stride, as in torch).
    static func isContiguous(size: [Int], stride: [Int]) -> Bool {
        if size.contains(0) { return true }
        var expected = 1
        for d in stride.indices.reversed() where size[d] != 1 {
            guard stride[d] == expected else { return false }
            expected *= size[d]
        }
        return true
    }

    /// The number of storage elements a view needs (`offset + 1 + Σ (size-1)·stride`), 0 for an empty
    /// view, nil on overflow.
    static func elementsNeeded(offset: Int, size: [Int], stride: [Int]) -> Int? {
        if size.contains(0) { return 0 }
        var last = offset
        for d in size.indices {
            let (a, o1) = (size[d] - 1).multipliedReportingOverflow(by: stride[d])
            let (b, o2) = last.addingReportingOverflow(a)
            if o1 || o2 { return nil }
            last = b
        }
        let (n, o) = last.addingReportingOverflow(1)
        return o ? nil : n
    }

    /// Copies the strided view into a new C-order buffer, byte-swapping each element when `swap` is set.
    /// `src` starts at storage element 0; bounds were checked by `elementsNeeded`.
    static func gather(_ src: UnsafeRawBufferPointer, elementSize: Int, offset: Int, size: [Int], stride: [Int],
                       swap: Bool) -> ByteStorage {
        let count = size.reduce(1, *)
        return ByteStorage(count: count * elementSize) { dst in
            guard count > 0, let s = src.baseAddress, let d = dst.baseAddress else { return }
            let rank = size.count
            if rank == 0 {
                copy(s + offset * elementSize, to: d, size: elementSize, swap: swap)
                return
            }
            var index = [Int](repeating: 0, count: rank)
            var base = offset  // storage element of index with the last coordinate at 0
            let inner = size[rank - 1], innerStride = stride[rank - 1]
            var out = 0
            while true {
                var e = base
                for _ in 0..<inner {
                    copy(s + e * elementSize, to: d + out * elementSize, size: elementSize, swap: swap)
                    e += innerStride
                    out += 1
                }
                // Advance the outer coordinates (odometer).
                var k = rank - 2
                while k >= 0 {
                    index[k] += 1
                    base += stride[k]
                    if index[k] < size[k] { break }
                    base -= stride[k] * size[k]
                    index[k] = 0
                    k -= 1
                }
                if k < 0 { return }
            }
        }
    }

    @inline(__always)
    private static func copy(_ from: UnsafeRawPointer, to: UnsafeMutableRawPointer, size: Int, swap: Bool) {
        switch size {
        case 1:
            to.storeBytes(of: from.load(as: UInt8.self), as: UInt8.self)
        case 2:
            let v = from.loadUnaligned(as: UInt16.self)
            to.storeBytes(of: swap ? v.byteSwapped : v, as: UInt16.self)
        case 4:
            let v = from.loadUnaligned(as: UInt32.self)
            to.storeBytes(of: swap ? v.byteSwapped : v, as: UInt32.self)
        default:
            let v = from.loadUnaligned(as: UInt64.self)
            to.storeBytes(of: swap ? v.byteSwapped : v, as: UInt64.self)
        }
    }
}
