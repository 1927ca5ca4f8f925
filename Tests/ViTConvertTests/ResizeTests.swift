import Foundation
import Testing
import ViTTestSupport
import ViTConvert
import ViTFormats
import ViTMapping
import ViTModel
import ViTRuntime
import ViTNumpy
import ViTTensor

/// `--image-size`: the converted model gives the logits of timm's model created at the new size and
/// loaded through timm's own `checkpoint_filter_fn` (or `resample_abs_pos_embed` with the same settings);
/// fixtures by tools/fixtures_convert.py.
@Suite("Resizing the position embedding")
struct ResizeTests {
    /// Logits tolerance: max|ours − timm| / max(1, max|timm|) ≤ 1e-4.
    static let logitTolerance: Float = 1e-4

    @Test("the fixture folder holds the resize cases")
    func casesPresent() {
        #expect(ResizeCase.names.count >= 8)
    }

    @Test("the resized model's logits match timm's model created at the new size (≤ 1e-4 relative)",
          arguments: ResizeCase.names)
    func logits(_ name: String) throws {
        let r = try ResizeCase(name)
        let dir = makeTempFolder()
        let out = "\(dir)/m.bin"
        let report = try Converter.convert(ConversionRequest(
            input: r.source, output: out, mapping: r.mappingOptions,
            resize: ResizeRequest(imageSize: r.imageSize, method: r.method)))
        #expect(report.config == r.expected)
        #expect(report.resize?.oldGrid == r.oldGrid && report.resize?.newGrid == r.newGrid)
        #expect(report.resize?.prefixRows == r.prefixRows)

        let back = try ViTMapper.loadCanonical(try CheckpointOpener.open(out))
        #expect(back.config == r.expected)
        let vit = try VisionTransformer(config: back.config, tensors: back.tensors, threads: 1)
        let input = try NpyFile(path: "\(r.folder)/input.npy").tensor
        let want = try NpyFile(path: "\(r.folder)/logits.npy").tensor.floats()
        let got = try vit.forward(input).floats()
        let err = relativeError(got, want)
        #expect(err <= Self.logitTolerance, "\(name): relative logit error \(err)")

        // The resized pos_embed itself, against the one timm's model holds after loading.
        let timmPos = try NpyFile(path: "\(r.folder)/pos_embed.npy").tensor
        let pos = try #require(back.tensors["pos_embed"])
        #expect(pos.shape == timmPos.shape)
        #expect(zip(pos.floats(), timmPos.floats()).allSatisfy { abs($0 - $1) <= 1e-5 }, "\(name) pos_embed")
    }

    @Test("prefix rows (class, distillation, registers) are kept bit for bit; no rows with no_embed_class",
          arguments: ResizeCase.names)
    func prefixRowsKept(_ name: String) throws {
        let r = try ResizeCase(name)
        let original = try ViTMapper.loadCanonical(try CheckpointOpener.open(r.source), options: r.mappingOptions)
        let dir = makeTempFolder()
        _ = try Converter.convert(ConversionRequest(input: r.source, output: "\(dir)/m.safetensors", mapping: r.mappingOptions,
                                                    resize: ResizeRequest(imageSize: r.imageSize, method: r.method)))
        let back = try ViTMapper.loadCanonical(try CheckpointOpener.open("\(dir)/m.safetensors"))
        let d = original.config.embedDim
        let old = try #require(original.tensors["pos_embed"]).floats()
        let new = try #require(back.tensors["pos_embed"]).floats()
        #expect(new.count == (r.prefixRows + r.newGrid[0] * r.newGrid[1]) * d)
        #expect(Array(new.prefix(r.prefixRows * d)) == Array(old.prefix(r.prefixRows * d)))
        // Every other tensor is unchanged.
        for (n, t) in original.tensors where n != "pos_embed" { #expect(back.tensors[n] == t, "\(n)") }
    }

    @Test("a size that is not a whole number of patches is refused naming both sizes, before writing")
    func mustTile() throws {
        let c = try ConventionCase("timm_plain")
        let dir = makeTempFolder()
        for size in [[44, 48], [48, 50]] {
            #expect(throws: ConvertError.imageSizeDoesNotTile(imageSize: size, patchSize: [8, 8])) {
                try Converter.convert(ConversionRequest(input: c.weights, output: "\(dir)/m.bin", mapping: c.mapping,
                                                        resize: ResizeRequest(imageSize: size, method: .timm)))
            }
        }
        #expect(throws: ConvertError.invalidImageSize([0, 48])) {
            try Converter.convert(ConversionRequest(input: c.weights, output: "\(dir)/m.bin", mapping: c.mapping,
                                                    resize: ResizeRequest(imageSize: [0, 48], method: .timm)))
        }
        #expect(folderEntries(dir).isEmpty)
        #expect(ConvertError.imageSizeDoesNotTile(imageSize: [44, 48], patchSize: [8, 8]).description
                == "image size 44x48 is not a whole number of 8x8 patches (use multiples of 8 for the height and 8 for the width)")
    }

    @Test("the old grid comes from the config, never guessed square: a 4x6 grid resized to 6x4")
    func nonSquareOldGrid() throws {
        let c = try ConventionCase("timm_no_class_token")  // 32x48 image, 8px patches: 4x6 grid, 24 rows
        let dir = makeTempFolder()
        let report = try Converter.convert(ConversionRequest(input: c.weights, output: "\(dir)/m.bin", mapping: c.mapping,
                                                             resize: ResizeRequest(imageSize: [48, 32], method: .timm)))
        #expect(report.resize?.oldGrid == [4, 6])
        #expect(report.resize?.newGrid == [6, 4])
        #expect(report.config.imageSize == [48, 32])
        // Asking for the size the model already has changes no tensor.
        _ = try Converter.convert(ConversionRequest(input: c.weights, output: "\(dir)/same.bin", mapping: c.mapping,
                                                    resize: ResizeRequest(imageSize: [32, 48], method: .timm)))
        let same = try ViTMapper.loadCanonical(try CheckpointOpener.open("\(dir)/same.bin"))
        #expect(same.tensors == (try c.canonical()).tensors)
    }

    @Test("the resize is recorded in the metadata")
    func recorded() throws {
        let r = try ResizeCase("deit_48_timm")
        let dir = makeTempFolder()
        _ = try Converter.convert(ConversionRequest(input: r.source, output: "\(dir)/m.h5", mapping: r.mappingOptions,
                                                    resize: ResizeRequest(imageSize: r.imageSize, method: r.method)))
        let meta = try CheckpointOpener.open("\(dir)/m.h5").metadata
        #expect(meta[OutputMetadata.resizedKey]
                == "pos_embed grid 4x4 -> 6x6 (image 32x32 -> 48x48), bicubic, antialias, 2 prefix rows kept")
    }

    @Test("resizing an f16 checkpoint computes in float32 and stores f16, as timm does")
    func halfPrecision() throws {
        let c = try ConventionCase("timm_f16")
        let dir = makeTempFolder()
        _ = try Converter.convert(ConversionRequest(input: c.weights, output: "\(dir)/m.bin", mapping: c.mapping,
                                                    resize: ResizeRequest(imageSize: [48, 48], method: .timm)))
        let back = try ViTMapper.loadCanonical(try CheckpointOpener.open("\(dir)/m.bin"))
        let pos = try #require(back.tensors["pos_embed"])
        #expect(pos.dtype == .f16)
        let original = try #require(try c.canonical().tensors["pos_embed"])
        let viaF32 = try resamplePositionEmbedding(original.converted(to: .f32), prefixTokens: 1, oldGrid: (4, 4),
                                                   newGrid: (6, 6), method: .timm).converted(to: .f16)
        #expect(pos == viaF32)
    }
}
