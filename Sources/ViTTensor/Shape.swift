/// Shape helpers with overflow-checked arithmetic, for sizes that come from untrusted files.
public enum Shape {
    /// The number of elements of `shape`, or nil when a dimension is negative or the product overflows.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            if o { return nil }
            n = p
        }
        return n
    }

    /// The number of bytes of `shape` × `dtype`, or nil on a negative dimension or overflow.
    public static func byteCount(_ shape: [Int], dtype: DType) -> Int? {
        guard let n = elementCount(shape) else { return nil }
        let (p, o) = n.multipliedReportingOverflow(by: dtype.byteSize)
        return o ? nil : p
    }

    /// `[2, 3, 4]` → `"(2, 3, 4)"`, as error messages print shapes.
    public static func describe(_ shape: [Int]) -> String {
        "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
    }
}
