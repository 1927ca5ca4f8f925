/// The EXIF `Orientation` tag (0x0112) of a JPEG's APP1 segment and the transposition it asks for.
public enum ExifOrientation {
    /// The orientation value 1...8 found in `bytes` (a JPEG file), or nil when there is none or it is malformed
    /// (a malformed EXIF block is ignored, as Pillow's `exif_transpose` does).
    public static func read(jpeg bytes: UnsafeRawBufferPointer) -> Int? {
        var i = 2
        while i + 4 <= bytes.count, bytes[i] == 0xFF {
            let marker = bytes[i + 1]
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }
            if marker == 0xDA || marker == 0xD9 { return nil }  // start of scan: no more header segments
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            guard length >= 2, i + 2 + length <= bytes.count else { return nil }
            if marker == 0xE1, length >= 8, bytes[i + 4] == 0x45, bytes[i + 5] == 0x78, bytes[i + 6] == 0x69,
               bytes[i + 7] == 0x66, bytes[i + 8] == 0, bytes[i + 9] == 0 {
                let tiff = UnsafeRawBufferPointer(rebasing: bytes[(i + 10)..<(i + 2 + length)])
                if let o = tiffOrientation(tiff) { return o }
            }
            i += 2 + length
        }
        return nil
    }

    /// The Orientation entry of IFD0 of a TIFF block ("II*\0" or "MM\0*").
    static func tiffOrientation(_ t: UnsafeRawBufferPointer) -> Int? {
        guard t.count >= 8 else { return nil }
        let little: Bool
        switch (t[0], t[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= t.count else { return nil }
            return little ? Int(t[o]) | Int(t[o + 1]) << 8 : Int(t[o]) << 8 | Int(t[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let a = u16(o), let b = u16(o + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard let ifd = u32(4), let n = u16(ifd) else { return nil }
        for e in 0..<n {
            let entry = ifd + 2 + e * 12
            guard let tag = u16(entry) else { return nil }
            if tag == 0x0112, let type = u16(entry + 2), type == 3, let v = u16(entry + 8), (1...8).contains(v) { return v }
        }
        return nil
    }

    /// `image` turned upright for EXIF orientation `o` (alpha, if any, turned with it) (the same transposition as Pillow's `ImageOps.exif_transpose`).
    public static func apply(_ o: Int, to image: RGBImage) -> RGBImage {
        guard o != 1, (2...8).contains(o) else { return image }
        let w = image.width, h = image.height
        let swaps = o >= 5
        let ow = swaps ? h : w, oh = swaps ? w : h
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<oh {
                    for x in 0..<ow {
                        let (sx, sy) = source(o, x, y, w: w, h: h, ow: ow, oh: oh)
                        let s = (sy * w + sx) * 3, d = (y * ow + x) * 3
                        dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        var turned = RGBImage(width: ow, height: oh, pixels: out)
        if let alpha = image.alpha {
            var a = [UInt8](repeating: 0, count: alpha.count)
            for y in 0..<oh { for x in 0..<ow { let (sx, sy) = source(o, x, y, w: w, h: h, ow: ow, oh: oh); a[y * ow + x] = alpha[sy * w + sx] } }
            turned.alpha = a
        }
        return turned
    }

    /// The stored pixel shown at output (`x`, `y`) for orientation `o`.
    private static func source(_ o: Int, _ x: Int, _ y: Int, w: Int, h: Int, ow: Int, oh: Int) -> (Int, Int) {
        switch o {
        case 2: return (w - 1 - x, y)             // mirrored horizontally
        case 3: return (w - 1 - x, h - 1 - y)     // rotated 180
        case 4: return (x, h - 1 - y)             // mirrored vertically
        case 5: return (y, x)                     // transposed
        case 6: return (y, h - 1 - x)             // stored rotated 90 CCW: turn 90 CW
        case 7: return (w - 1 - y, h - 1 - x)     // transversed
        case 8: return (w - 1 - y, x)             // stored rotated 90 CW: turn 90 CCW
        default: return (x, y)
        }
    }
}
