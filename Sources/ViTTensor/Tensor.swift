/// A dense, C-order, little-endian tensor: a dtype, a shape and a view into a `ByteStorage`.
///
/// A tensor read from a memory-mapped file is a view into that file; it is copied only when converted.
public struct Tensor: @unchecked Sendable {
    /// Element type.
    public let dtype: DType
    /// Dimensions, outermost first.
    public let shape: [Int]
    /// The storage this tensor views.
    public let storage: ByteStorage
    /// Byte offset of the first element inside `storage`.
    public let offset: Int
    /// Number of bytes (`elementCount × dtype.byteSize`).
    public let byteCount: Int

    /// A view of `storage[offset ..< offset + size]`.
    /// - Throws: `TensorError.invalidShape` or `.byteCountMismatch` when the region does not fit.
    public init(dtype: DType, shape: [Int], storage: ByteStorage, offset: Int = 0) throws {
        guard let n = Shape.byteCount(shape, dtype: dtype) else { throw TensorError.invalidShape(shape) }
        guard offset >= 0, offset <= storage.count, storage.count - offset >= n else {
            throw TensorError.byteCountMismatch(expected: n, found: max(0, storage.count - offset), shape: shape, dtype: dtype)
        }
        self.dtype = dtype
        self.shape = shape
        self.storage = storage
        self.offset = offset
        self.byteCount = n
    }

    /// A tensor owning a copy of `bytes` (little-endian, C order).
    /// - Throws: `TensorError.byteCountMismatch` when `bytes.count` is not the shape's byte size.
    public init(dtype: DType, shape: [Int], bytes: [UInt8]) throws {
        guard let n = Shape.byteCount(shape, dtype: dtype) else { throw TensorError.invalidShape(shape) }
        guard n == bytes.count else { throw TensorError.byteCountMismatch(expected: n, found: bytes.count, shape: shape, dtype: dtype) }
        let s = bytes.withUnsafeBytes { ByteStorage(copying: $0) }
        try self.init(dtype: dtype, shape: shape, storage: s)
    }

    /// A Float32 tensor holding `values`.
    /// - Throws: `TensorError.byteCountMismatch` when `values.count` is not the shape's element count.
    public init(shape: [Int], float32 values: [Float]) throws {
        guard let n = Shape.elementCount(shape) else { throw TensorError.invalidShape(shape) }
        guard n == values.count else {
            throw TensorError.byteCountMismatch(expected: n * 4, found: values.count * 4, shape: shape, dtype: .f32)
        }
        let s = values.withUnsafeBytes { ByteStorage(copying: $0) }
        try self.init(dtype: .f32, shape: shape, storage: s)
    }

    /// Number of elements.
    public var elementCount: Int { byteCount / dtype.byteSize }

    /// True when this tensor is a view into a memory-mapped file.
    public var isMapped: Bool { storage.isMapped }

    /// Calls `body` with this tensor's raw bytes (no copy).
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let p = storage.base.map { $0 + offset }
        return try body(UnsafeRawBufferPointer(start: byteCount == 0 ? nil : p, count: byteCount))
    }

    /// The bytes as an array (a copy).
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The same bytes seen with another shape of equal element count.
    /// - Throws: `TensorError.byteCountMismatch` when the element counts differ.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        guard let n = Shape.byteCount(newShape, dtype: dtype) else { throw TensorError.invalidShape(newShape) }
        guard n == byteCount else { throw TensorError.byteCountMismatch(expected: byteCount, found: n, shape: newShape, dtype: dtype) }
        return try Tensor(dtype: dtype, shape: newShape, storage: storage, offset: offset)
    }

    /// Writes every element, converted to Float32, into `out` (which must hold `elementCount` floats).
    public func copyFloat32(into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count >= elementCount, "destination too small")
        withUnsafeBytes { src in ElementConversion.toFloat32(src, dtype: dtype, into: out.baseAddress!, count: elementCount) }
    }

    /// Every element converted to Float32 (a copy, even for F32).
    public func floats() -> [Float] {
        let n = elementCount
        return [Float](unsafeUninitializedCapacity: n) { buf, initialized in
            if n > 0 { copyFloat32(into: buf) }
            initialized = n
        }
    }

    /// This tensor converted to a floating-point `target` dtype (F32, F16, BF16 or F64).
    /// Returns `self` unchanged when the dtype already matches.
    /// - Throws: `TensorError.unsupportedConversion` for a non-float target or an integer → float narrowing
    ///   that is not defined here.
    public func converted(to target: DType) throws -> Tensor {
        if target == dtype { return self }
        let n = elementCount
        switch target {
        case .f32, .f16, .bf16, .f64:
            break
        default:
            throw TensorError.unsupportedConversion(from: dtype, to: target)
        }
        let storage = withUnsafeBytes { src in
            ByteStorage(count: n * target.byteSize) { dst in
                guard n > 0 else { return }
                if target == .f32 {
                    ElementConversion.toFloat32(src, dtype: dtype, into: dst.baseAddress!.assumingMemoryBound(to: Float.self), count: n)
                    return
                }
                // Via Float32 in blocks (as torch narrows F64 to F16/BF16: through float).
                let block = 4096
                var tmp = [Float](repeating: 0, count: min(block, n))
                var i = 0
                while i < n {
                    let m = min(block, n - i)
                    let sub = UnsafeRawBufferPointer(rebasing: src[(i * dtype.byteSize)..<((i + m) * dtype.byteSize)])
                    tmp.withUnsafeMutableBufferPointer { t in
                        ElementConversion.toFloat32(sub, dtype: dtype, into: t.baseAddress!, count: m)
                        ElementConversion.fromFloat32(t.baseAddress!, count: m, to: target, into: dst.baseAddress! + i * target.byteSize)
                    }
                    i += m
                }
            }
        }
        return try Tensor(dtype: target, shape: shape, storage: storage)
    }
}

extension Tensor: Equatable {
    /// Equal when dtype, shape and every byte are equal.
    public static func == (a: Tensor, b: Tensor) -> Bool {
        guard a.dtype == b.dtype, a.shape == b.shape else { return false }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.elementsEqual(y) } }
    }
}
