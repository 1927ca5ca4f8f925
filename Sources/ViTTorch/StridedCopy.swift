import ViTTensor

/// Strided views of torch storages: contiguity and bounds (the copy into C order is `StridedGather`).
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
}
