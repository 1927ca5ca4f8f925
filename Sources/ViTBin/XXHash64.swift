/// XXH64 (xxHash, 64-bit) in pure Swift, streaming: `update` any number of times, then `finalize`.
///
/// Matches the reference C library bit for bit (tests use vectors made with libxxhash). The hot loop
/// reads 32-byte stripes with unaligned 64-bit loads and runs four independent lanes, so it runs at
/// memory speed on one core (see docs/bin-format.md for measured throughput).
public struct XXHash64: Sendable {
    static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
    static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    private var v1: UInt64
    private var v2: UInt64
    private var v3: UInt64
    private var v4: UInt64
    private let seed: UInt64
    private var totalLength: UInt64 = 0
    /// Up to 31 bytes not yet consumed as a full stripe.
    private var buffer: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var bufferCount = 0

    /// Starts a hash with `seed`.
    public init(seed: UInt64 = 0) {
        self.seed = seed
        v1 = seed &+ XXHash64.prime1 &+ XXHash64.prime2
        v2 = seed &+ XXHash64.prime2
        v3 = seed
        v4 = seed &- XXHash64.prime1
    }

    /// The XXH64 of `bytes` in one call.
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        var h = XXHash64(seed: seed)
        h.update(bytes)
        return h.finalize()
    }

    /// The XXH64 of `bytes` in one call.
    public static func hash(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }

    @inline(__always) static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }

    @inline(__always) static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        rotl(acc &+ input &* prime2, 31) &* prime1
    }

    @inline(__always) static func mergeRound(_ acc: UInt64, _ val: UInt64) -> UInt64 {
        (acc ^ round(0, val)) &* prime1 &+ prime4
    }

    /// Feeds more bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var p = bytes.baseAddress, bytes.count > 0 else { return }
        var left = bytes.count
        totalLength &+= UInt64(left)
        if bufferCount > 0 {
            let take = min(32 - bufferCount, left)
            withUnsafeMutableBytes(of: &buffer) { b in
                (b.baseAddress! + bufferCount).copyMemory(from: p, byteCount: take)
            }
            bufferCount += take
            p += take
            left -= take
            guard bufferCount == 32 else { return }
            let (a, b, c, d) = buffer
            v1 = XXHash64.round(v1, UInt64(littleEndian: a))
            v2 = XXHash64.round(v2, UInt64(littleEndian: b))
            v3 = XXHash64.round(v3, UInt64(littleEndian: c))
            v4 = XXHash64.round(v4, UInt64(littleEndian: d))
            bufferCount = 0
        }
        if left >= 32 {
            var a = v1, b = v2, c = v3, d = v4
            let stripes = left / 32
            for _ in 0..<stripes {
                a = XXHash64.round(a, UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)))
                b = XXHash64.round(b, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
                c = XXHash64.round(c, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
                d = XXHash64.round(d, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
                p += 32
            }
            v1 = a; v2 = b; v3 = c; v4 = d
            left -= stripes * 32
        }
        if left > 0 {
            withUnsafeMutableBytes(of: &buffer) { b in b.baseAddress!.copyMemory(from: p, byteCount: left) }
            bufferCount = left
        }
    }

    /// Feeds more bytes.
    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// The hash of everything fed so far (the state is not changed).
    public func finalize() -> UInt64 {
        var h: UInt64
        if totalLength >= 32 {
            h = XXHash64.rotl(v1, 1) &+ XXHash64.rotl(v2, 7) &+ XXHash64.rotl(v3, 12) &+ XXHash64.rotl(v4, 18)
            h = XXHash64.mergeRound(h, v1)
            h = XXHash64.mergeRound(h, v2)
            h = XXHash64.mergeRound(h, v3)
            h = XXHash64.mergeRound(h, v4)
        } else {
            h = seed &+ XXHash64.prime5
        }
        h &+= totalLength
        var tail = buffer
        return withUnsafeBytes(of: &tail) { raw -> UInt64 in
            var p = raw.baseAddress!
            var left = bufferCount
            while left >= 8 {
                h ^= XXHash64.round(0, UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)))
                h = XXHash64.rotl(h, 27) &* XXHash64.prime1 &+ XXHash64.prime4
                p += 8
                left -= 8
            }
            if left >= 4 {
                h ^= UInt64(UInt32(littleEndian: p.loadUnaligned(as: UInt32.self))) &* XXHash64.prime1
                h = XXHash64.rotl(h, 23) &* XXHash64.prime2 &+ XXHash64.prime3
                p += 4
                left -= 4
            }
            while left > 0 {
                h ^= UInt64(p.load(as: UInt8.self)) &* XXHash64.prime5
                h = XXHash64.rotl(h, 11) &* XXHash64.prime1
                p += 1
                left -= 1
            }
            h ^= h >> 33
            h &*= XXHash64.prime2
            h ^= h >> 29
            h &*= XXHash64.prime3
            h ^= h >> 32
            return h
        }
    }
}
