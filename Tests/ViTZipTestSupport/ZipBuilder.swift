import Foundation
@_exported import ViTTestSupport

/// Builds ZIP archives byte by byte for tests (valid ones, which tests then patch into invalid ones).
/// Deflated members use deflate "stored" blocks, which are valid raw deflate streams.
public enum ZipBuilder {
    /// One member to write.
    public struct Member {
        public var name: String
        public var content: [UInt8]
        /// Store as method 8 (deflate stored blocks) instead of method 0.
        public var deflate: Bool
        /// Saturate the directory's sizes and offset and put them in a ZIP64 extra field.
        public var zip64: Bool

        public init(_ name: String, _ content: [UInt8], deflate: Bool = false, zip64: Bool = false) {
            self.name = name
            self.content = content
            self.deflate = deflate
            self.zip64 = zip64
        }
    }

    /// Where things were written.
    public struct Layout {
        public var localHeaders: [Int] = []
        public var dataOffsets: [Int] = []
        public var centralHeaders: [Int] = []
        public var centralDirectory = 0
        public var zip64EndRecord: Int?
        public var endRecord = 0
    }

    /// Writes `members` as an archive; `zip64End` adds a ZIP64 end record and locator (as torch does).
    public static func build(_ members: [Member], zip64End: Bool = false, comment: [UInt8] = []) -> (bytes: [UInt8], layout: Layout) {
        var out: [UInt8] = []
        var layout = Layout()
        var sizes: [(crc: UInt32, csize: Int, usize: Int)] = []
        for m in members {
            let payload = m.deflate ? deflateStored(m.content) : m.content
            let crc = crc32(m.content)
            layout.localHeaders.append(out.count)
            out.le32(0x0403_4B50); out.le16(20); out.le16(0); out.le16(m.deflate ? 8 : 0); out.le16(0); out.le16(0x21)
            out.le32(Int(crc)); out.le32(payload.count); out.le32(m.content.count)
            out.le16(m.name.utf8.count); out.le16(0)
            out += Array(m.name.utf8)
            layout.dataOffsets.append(out.count)
            out += payload
            sizes.append((crc, payload.count, m.content.count))
        }
        layout.centralDirectory = out.count
        for (i, m) in members.enumerated() {
            layout.centralHeaders.append(out.count)
            var extra: [UInt8] = []
            if m.zip64 {
                extra.le16(1); extra.le16(24)
                extra.le64(sizes[i].usize); extra.le64(sizes[i].csize); extra.le64(layout.localHeaders[i])
            }
            out.le32(0x0201_4B50); out.le16(45); out.le16(45); out.le16(0); out.le16(m.deflate ? 8 : 0)
            out.le16(0); out.le16(0x21); out.le32(Int(sizes[i].crc))
            out.le32(m.zip64 ? 0xFFFF_FFFF : sizes[i].csize); out.le32(m.zip64 ? 0xFFFF_FFFF : sizes[i].usize)
            out.le16(m.name.utf8.count); out.le16(extra.count); out.le16(0); out.le16(0); out.le16(0); out.le32(0)
            out.le32(m.zip64 ? 0xFFFF_FFFF : layout.localHeaders[i])
            out += Array(m.name.utf8)
            out += extra
        }
        let cdSize = out.count - layout.centralDirectory
        if zip64End {
            let r = out.count
            layout.zip64EndRecord = r
            out.le32(0x0606_4B50); out.le64(44); out.le16(45); out.le16(45); out.le32(0); out.le32(0)
            out.le64(members.count); out.le64(members.count); out.le64(cdSize); out.le64(layout.centralDirectory)
            out.le32(0x0706_4B50); out.le32(0); out.le64(r); out.le32(1)
        }
        layout.endRecord = out.count
        out.le32(0x0605_4B50); out.le16(0); out.le16(0); out.le16(members.count); out.le16(members.count)
        out.le32(cdSize); out.le32(layout.centralDirectory); out.le16(comment.count)
        out += comment
        return (out, layout)
    }

    /// A raw deflate stream made of stored blocks.
    public static func deflateStored(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        repeat {
            let n = min(65535, bytes.count - i)
            let last = i + n == bytes.count
            out.append(last ? 1 : 0)
            out.le16(n); out.le16(n ^ 0xFFFF)
            out += bytes[i..<(i + n)]
            i += n
        } while i < bytes.count
        return out
    }

    /// CRC-32 (IEEE), bitwise.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return c ^ 0xFFFF_FFFF
    }
}

extension Array where Element == UInt8 {
    public mutating func le16(_ v: Int) { append(UInt8(v & 0xFF)); append(UInt8((v >> 8) & 0xFF)) }
    public mutating func le32(_ v: Int) { for k in 0..<4 { append(UInt8((v >> (8 * k)) & 0xFF)) } }
    public mutating func le64(_ v: Int) { for k in 0..<8 { append(UInt8((v >> (8 * k)) & 0xFF)) } }
    /// Overwrites a little-endian field of `width` bytes at `offset`.
    public mutating func put(_ v: Int, at offset: Int, width: Int) {
        for k in 0..<width { self[offset + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
    }
}

/// Writes `bytes` to a fresh temporary file and returns its path.
public func writeTemporary(_ bytes: [UInt8], suffix: String = ".zip") -> String {
    let path = NSTemporaryDirectory() + "vitkit-test-\(UUID().uuidString)\(suffix)"
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
}

/// A deterministic generator (SplitMix64) for fuzz tests.
/// Repository root, from a test file's `#filePath` (three levels up).
public func repositoryRoot(_ filePath: String = #filePath) -> URL { Fixtures.repository }

/// One random mutation of `bytes` (flip, set to a boundary value, insert, delete, truncate, duplicate a run).
public func mutate(_ bytes: [UInt8], rng: inout SplitMix64) -> [UInt8] {
    var b = bytes
    guard !b.isEmpty else { return [UInt8.random(in: 0...255, using: &rng)] }
    let rounds = Int.random(in: 1...4, using: &rng)
    for _ in 0..<rounds {
        guard !b.isEmpty else { break }
        let i = Int.random(in: 0..<b.count, using: &rng)
        switch Int.random(in: 0..<7, using: &rng) {
        case 0: b[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
        case 1: b[i] = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE][Int.random(in: 0..<6, using: &rng)]
        case 2: b.insert(UInt8.random(in: 0...255, using: &rng), at: i)
        case 3: b.remove(at: i)
        case 4: b.removeSubrange(i...)
        case 5:
            let n = min(Int.random(in: 1...16, using: &rng), b.count - i)
            b.insert(contentsOf: Array(b[i..<(i + n)]), at: i)
        default: b[i] = UInt8.random(in: 0...255, using: &rng)
        }
    }
    return b
}
