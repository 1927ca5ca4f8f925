import Foundation
import Testing
import ViTImage
import ViTNpz

/// Decoding against Pillow's `Image.open(f).convert("RGB")` (fixtures/images/decoded.npz): exact, every pixel.
@Suite struct DecodeTests {
    @Test func matchesPillowExactly() throws {
        let manifest = try ImageManifest.load()
        let truths = try NpzArchive(path: imageFixture("decoded.npz"))
        #expect(manifest.decoded.count >= 14)
        for c in manifest.decoded {
            let image = try ImageDecoder.decode(path: imageFixture(c.image))
            let truth = try truthImage(truths, c.truth)
            #expect(image.width == truth.width && image.height == truth.height, "\(c.image)")
            let differing = zip(image.pixels, truth.pixels).filter { $0 != $1 }.count
            #expect(differing == 0, "\(c.image): \(differing) of \(truth.pixels.count) bytes differ from Pillow")
        }
    }

    @Test func exifOrientationIsApplied() throws {
        let rotated = try ImageDecoder.decode(path: imageFixture("images/exif_rotated.jpg"))
        let stored = try ImageDecoder.decode(path: imageFixture("images/exif_rotated.jpg"), applyOrientation: false)
        #expect(stored.width == 120 && stored.height == 80)
        #expect(rotated.width == 80 && rotated.height == 120)
        // orientation 6: the stored bottom-left pixel is shown at the top left
        #expect(Array(rotated.pixels[0..<3]) == Array(stored.pixels[(79 * 120) * 3..<(79 * 120) * 3 + 3]))
    }

    @Test func hugeHeadersAreRefusedBeforeAllocating() throws {
        for name in ["bad/huge_header.png", "bad/huge_header.jpg"] {
            #expect {
                _ = try ImageDecoder.decode(path: imageFixture(name))
            } throws: { error in
                guard case let ImageError.tooLarge(file, w, h, limit)? = error as? ImageError else { return false }
                return file.hasSuffix(name) && w >= 65000 && h >= 65000 && limit == ImageDecoder.defaultMaxPixels
                    && "\(error)".contains("exceeds the limit")
            }
        }
    }

    @Test func customPixelLimit() throws {
        let bytes = try fileBytes(imageFixture("images/landscape.jpg"))
        #expect(throws: ImageError.tooLarge(file: "x.jpg", width: 257, height: 191, limit: 1000)) {
            _ = try decode(bytes, file: "x.jpg", maxPixels: 1000)
        }
    }

    /// Every prefix length class of the good files: a truncated file is an error naming the file, never a crash
    /// and never grey padding (libjpeg only warns about a premature end; ViTKit refuses it, as Pillow does).
    @Test(arguments: ["landscape.jpg", "portrait_progressive.jpg", "grey.jpg", "rgb.png", "palette.png", "rgb16.png"])
    func truncatedFilesAreRefused(name: String) throws {
        let bytes = try fileBytes(imageFixture("images/" + name))
        for keep in [0, 1, 2, 3, 10, 40, 100, bytes.count / 3, bytes.count / 2, bytes.count - 20] {
            #expect(throws: ImageError.self, "\(name) cut to \(keep) bytes") {
                _ = try decode(Array(bytes.prefix(keep)), file: "cut-" + name)
            }
        }
        do {
            _ = try decode(Array(bytes.prefix(bytes.count / 2)), file: "cut-" + name)
            Issue.record("\(name) cut in half decoded")
        } catch let e as ImageError {
            #expect("\(e)".contains("cut-" + name))
            guard case .truncated = e else { Issue.record("\(name): expected .truncated, found \(e)"); return }
        }
    }

    /// Bytes flipped in the header and in the data: refused or decoded, never a crash.
    @Test(arguments: ["landscape.jpg", "portrait_progressive.jpg", "rgb.png", "rgba.png"])
    func corruptFilesNeverCrash(name: String) throws {
        let bytes = try fileBytes(imageFixture("images/" + name))
        var refused = 0
        for step in stride(from: 3, to: bytes.count, by: max(1, bytes.count / 97)) {
            var b = bytes
            b[step] ^= 0x5A
            do { _ = try decode(b, file: "bad-" + name) } catch let e as ImageError {
                refused += 1
                #expect("\(e)".contains("bad-" + name))
            }
        }
        if name.hasSuffix(".png") { #expect(refused > 50, "PNG CRCs catch flipped bytes") }
    }

    @Test func notAnImage() throws {
        #expect(throws: ImageError.unknownFormat(file: "x.bin")) { _ = try decode([1, 2, 3, 4, 5, 6, 7, 8, 9], file: "x.bin") }
        #expect(throws: ImageError.unknownFormat(file: "empty")) { _ = try decode([], file: "empty") }
        #expect(throws: ImageError.self) { _ = try ImageDecoder.decode(path: "/nonexistent/photo.jpg") }
    }

    @Test func pillowCMYKConversion() {
        // Pillow: CMYK (100, 0, 0, 50) -> RGB (125, 205, 205)
        #expect(JPEGDecoder.cmykToRGBForTesting([100, 0, 0, 50], inverted: false) == [125, 205, 205])
        #expect(JPEGDecoder.cmykToRGBForTesting([155, 255, 255, 205], inverted: true) == [125, 205, 205])
    }
}
