/// Constants and layout arithmetic of ViTKit's native `.bin` format (docs/bin-format.md).
public enum BinFormat {
    /// The first 8 bytes of every file: `\x89VITKIT\n`.
    public static let magic: [UInt8] = [0x89, 0x56, 0x49, 0x54, 0x4B, 0x49, 0x54, 0x0A]
    /// The last 8 bytes of every file: the magic reversed, `\nTIKTIV\x89`.
    public static let endMagic: [UInt8] = [0x0A, 0x54, 0x49, 0x4B, 0x54, 0x49, 0x56, 0x89]
    /// The format version this code writes and the newest it reads.
    public static let version: UInt32 = 1
    /// Every tensor's data offset (and the trailer) is a multiple of this.
    public static let alignment = 64
    /// Bytes before the header: magic, version, flags, header length.
    public static let preambleSize = 24
    /// Bytes of the trailer: file checksum and end magic.
    public static let trailerSize = 16
    /// The largest header accepted (bytes), so a hostile length cannot make a reader allocate.
    public static let maxHeaderLength = 100 * 1024 * 1024
    /// The largest tensor rank accepted.
    public static let maxRank = 64
    /// The format name reported by `BinFile.formatName`.
    public static let formatName = "vitkit-bin"

    /// `n` rounded up to the alignment, or nil on overflow.
    static func aligned(_ n: Int) -> Int? {
        let (s, o) = n.addingReportingOverflow(alignment - 1)
        return o ? nil : s & ~(alignment - 1)
    }
}
