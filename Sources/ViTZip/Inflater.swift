internal import CZlib

/// Raw-deflate decoding with zlib, for whole members and for a member's first bytes.
enum Inflater {
    /// zlib's `avail_in`/`avail_out` are 32-bit: feed at most this much per call.
    static let chunk = 1 << 30

    /// Inflates `input` into exactly `output.count` bytes and returns their CRC-32.
    /// - Throws: `ZipError.corruptData` when the stream is corrupt, ends early, or holds more than `output.count` bytes.
    static func inflateAll(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                           file: String, member: String) throws -> UInt32 {
        let (produced, ended) = try run(input, output, file: file, member: member)
        guard produced == output.count else {
            throw ZipError.corruptData(file: file, member: member, detail: "the stream ends after \(produced) bytes, \(output.count) declared")
        }
        guard ended else {
            throw ZipError.corruptData(file: file, member: member, detail: "the stream holds more than the \(output.count) bytes declared")
        }
        return crc32(UnsafeRawBufferPointer(output))
    }

    /// Inflates the start of `input` until `output` is full or the stream ends; returns the bytes written.
    /// - Throws: `ZipError.corruptData` when the stream is corrupt or truncated before filling `output`.
    static func inflatePrefix(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                              file: String, member: String) throws -> Int {
        try run(input, output, file: file, member: member).produced
    }

    /// Runs the inflater until the output is full or the stream ends. When the output is full, a
    /// one-byte probe tells whether the stream ends there.
    private static func run(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer,
                            file: String, member: String) throws -> (produced: Int, ended: Bool) {
        var s = z_stream()
        guard vitkit_inflate_init_raw(&s) == Z_OK else {
            throw ZipError.corruptData(file: file, member: member, detail: "zlib could not start an inflater")
        }
        defer { inflateEnd(&s) }
        func fail(_ code: Int32) -> ZipError {
            let msg = s.msg.map { String(cString: $0) } ?? "zlib error \(code)"
            return .corruptData(file: file, member: member, detail: msg)
        }
        let inBase = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: UInt8.self)) }
        let outBase = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        var consumed = 0, produced = 0
        while true {
            let progressBefore = consumed + produced
            if produced == output.count {
                // Output full: probe one byte to learn whether the stream ends here.
                var probe: UInt8 = 0
                let code: Int32 = withUnsafeMutablePointer(to: &probe) { p in
                    s.next_in = inBase.map { $0 + consumed }
                    s.avail_in = UInt32(min(chunk, input.count - consumed))
                    s.next_out = p
                    s.avail_out = 1
                    let before = s.avail_in
                    let c = inflate(&s, Z_NO_FLUSH)
                    consumed += Int(before - s.avail_in)
                    return c
                }
                if code == Z_STREAM_END && s.avail_out == 1 { return (produced, true) }
                if code == Z_OK || code == Z_BUF_ERROR || code == Z_STREAM_END {
                    if s.avail_out == 0 { return (produced, false) }  // one more byte: longer than declared
                    if consumed + produced == progressBefore { return (produced, false) }  // stuck: truncated
                    continue
                }
                throw fail(code)
            }
            s.next_in = inBase.map { $0 + consumed }
            s.avail_in = UInt32(min(chunk, input.count - consumed))
            s.next_out = outBase.map { $0 + produced }
            s.avail_out = UInt32(min(chunk, output.count - produced))
            let inBefore = s.avail_in, outBefore = s.avail_out
            let code = inflate(&s, Z_NO_FLUSH)
            consumed += Int(inBefore - s.avail_in)
            produced += Int(outBefore - s.avail_out)
            switch code {
            case Z_STREAM_END:
                return (produced, true)
            case Z_OK, Z_BUF_ERROR:
                // No progress possible means the input is exhausted: a truncated stream.
                if consumed + produced == progressBefore { return (produced, false) }
                continue
            default:
                throw fail(code)
            }
        }
    }

    /// CRC-32 (zlib's) of `bytes`.
    static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: uLong = CZlib.crc32(0, nil, 0)
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return UInt32(crc) }
        var done = 0
        while done < bytes.count {
            let n = min(chunk, bytes.count - done)
            crc = CZlib.crc32(crc, base + done, uInt(n))
            done += n
        }
        return UInt32(truncatingIfNeeded: crc)
    }
}
