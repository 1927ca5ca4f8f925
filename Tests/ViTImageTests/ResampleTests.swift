import Foundation
import Testing
import ViTImage
import ViTNpz

/// Resampling against Pillow's `Image.resize` for every filter, down, up, one axis only (fixtures/images/resized.npz).
/// Tolerance: exact, except ±1 on at most 0.1% of bytes (Pillow's double-precision kernel sums could round
/// differently at a .5 boundary with another libm).
@Suite struct ResampleTests {
    @Test func matchesPillow() throws {
        let manifest = try ImageManifest.load()
        let truths = try NpzArchive(path: imageFixture("resized.npz"))
        let source = try ImageDecoder.decode(path: imageFixture("images/landscape.jpg"))
        #expect(manifest.resized.count == 48)
        var exact = 0
        for c in manifest.resized {
            let filter = try #require(ResampleFilter(name: c.filter))
            var img = source
            if let r = c.crop { img = img.cropped(left: r[0], top: r[1], width: r[2], height: r[3]) }
            let out = Resample.resize(img, width: c.size[0], height: c.size[1], filter: filter)
            let truth = try truthImage(truths, c.truth)
            #expect(out.width == truth.width && out.height == truth.height)
            let diffs = zip(out.pixels, truth.pixels).map { abs(Int($0) - Int($1)) }
            let off = diffs.filter { $0 > 0 }.count
            #expect((diffs.max() ?? 0) <= 1 && off * 1000 <= diffs.count, "\(c.truth): \(off) bytes off, max \(diffs.max() ?? 0)")
            if off == 0 { exact += 1 }
        }
        #expect(exact == manifest.resized.count, "\(exact) of \(manifest.resized.count) exact")
    }

    @Test func pillowCodesAndNames() {
        #expect(ResampleFilter(pillowCode: 2) == .bilinear)
        #expect(ResampleFilter(pillowCode: 3) == .bicubic)
        #expect(ResampleFilter(pillowCode: 1) == .lanczos)
        #expect(ResampleFilter(pillowCode: 9) == nil)
        #expect(ResampleFilter(name: "BICUBIC") == .bicubic)
        #expect(ResampleFilter(name: "antialias") == .lanczos)
        #expect(ResampleFilter(name: "spline") == nil)
    }

    @Test func shorterSideAndCrop() {
        // torchvision Resize(36) on 257x191: short side 36, long int(36 * 257 / 191) = 48
        #expect(ImagePipeline.shorterSideSize(width: 257, height: 191, size: 36) == (48, 36))
        #expect(ImagePipeline.shorterSideSize(width: 131, height: 263, size: 36) == (36, 72))
        // torchvision rounds half to even: (48 - 32) / 2 = 8; (37 - 32) / 2 = 2.5 -> 2; (39 - 32) / 2 = 3.5 -> 4
        #expect(ImagePipeline.cropCorner(width: 37, height: 39, cropWidth: 32, cropHeight: 32, .torchvision) == (2, 4))
        #expect(ImagePipeline.cropCorner(width: 37, height: 39, cropWidth: 32, cropHeight: 32, .huggingFace) == (2, 3))
        // larger crop than image: torchvision pads, the image lands at ((32 - 20) / 2)
        #expect(ImagePipeline.cropCorner(width: 20, height: 32, cropWidth: 32, cropHeight: 32, .torchvision) == (-6, 0))
    }
}
