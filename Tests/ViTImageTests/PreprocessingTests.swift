import Foundation
import Testing
import ViTImage
import ViTPreprocess

private func checkpoint(_ folder: String, config: String? = nil, metadata: [String: String] = [:], convention: String = "timm",
                        family: String? = nil, size: [Int] = [224, 224]) -> PreprocessingResolver.Checkpoint {
    PreprocessingResolver.Checkpoint(path: folder, metadata: metadata, configJSON: config, convention: convention, family: family, imageSize: size)
}

private func folder(with files: [String: String]) throws -> String {
    let d = NSTemporaryDirectory() + "vitkit-pre-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    for (n, t) in files { try t.write(toFile: d + "/" + n, atomically: true, encoding: .utf8) }
    return d
}

/// Resolution of each checkpoint's preprocessing: timm pretrained_cfg, HF preprocessor_config.json, family defaults,
/// overrides, bad configs.
@Suite struct PreprocessingTests {
    @Test func timmPretrainedCfg() throws {
        let cfg = #"{"architecture": "vit_base_patch16_224", "pretrained_cfg": {"input_size": [3, 224, 224], "interpolation": "bicubic", "crop_pct": 0.9, "crop_mode": "center", "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}}"#
        let (p, notes) = try PreprocessingResolver.resolve(checkpoint("/nonexistent", config: cfg))
        #expect(notes.isEmpty)
        #expect(p.resizeMode == .shorter && p.resizeSize == [248, 248] && p.cropSize == [224, 224] && p.interpolation == .bicubic)
        #expect(p.mean == [0.5, 0.5, 0.5] && p.cropPlacement == .torchvision && p.alpha == nil)
        let squash = cfg.replacingOccurrences(of: "\"center\"", with: "\"squash\"")
        #expect(try PreprocessingResolver.resolve(checkpoint("/x", config: squash)).0.resizeMode == .exact)
        let border = cfg.replacingOccurrences(of: "\"center\"", with: "\"border\"")
        #expect(throws: PreprocessError.self) { _ = try PreprocessingResolver.resolve(checkpoint("/x", config: border)) }
        let rect = cfg.replacingOccurrences(of: "[3, 224, 224]", with: "[3, 224, 320]")
        let r = try PreprocessingResolver.resolve(checkpoint("/x", config: rect)).0
        #expect(r.resizeMode == .keepRatio && r.resizeSize == [248, 355] && r.cropSize == [224, 320])
    }

    @Test func huggingFaceProcessors() throws {
        let clip = try folder(with: ["preprocessor_config.json": #"{"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 224}, "crop_size": {"height": 224, "width": 224}, "do_center_crop": true, "resample": 3, "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711]}"#])
        let p = try PreprocessingResolver.resolve(checkpoint(clip + "/model.safetensors", convention: "hf")).0
        #expect(p.resizeMode == .shorter && p.resizeSize == [224, 224] && p.cropSize == [224, 224] && p.interpolation == .bicubic)
        #expect(p.alpha == .white && p.cropPlacement == .huggingFace && p.source.contains("CLIPImageProcessor"))
        let vit = try folder(with: ["preprocessor_config.json": #"{"image_processor_type": "ViTImageProcessor", "size": 384, "do_normalize": false}"#])
        let v = try PreprocessingResolver.resolve(checkpoint(vit, convention: "hf")).0
        #expect(v.resizeMode == .exact && v.resizeSize == [384, 384] && v.interpolation == .bilinear && v.mean == nil && v.alpha == .drop)
        let bit = try folder(with: ["preprocessor_config.json": #"{"image_processor_type": "BitImageProcessor", "size": {"shortest_edge": 256}, "crop_size": {"height": 224, "width": 224}, "resample": 3, "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]}"#])
        let b = try PreprocessingResolver.resolve(checkpoint(bit, convention: "hf")).0
        #expect(b.resizeMode == .shorter && b.resizeSize == [256, 256] && b.cropSize == [224, 224], "Bit crops by default")
        let bad = try folder(with: ["preprocessor_config.json": #"{"size": "big"}"#])
        #expect(throws: PreprocessError.badValue(file: bad + "/preprocessor_config.json", key: "size",
                                                 expected: "N, {height, width} or {shortest_edge}", found: "big")) {
            _ = try PreprocessingResolver.resolve(checkpoint(bad))
        }
        let notJSON = try folder(with: ["preprocessor_config.json": "{"])
        #expect(throws: PreprocessError.self) { _ = try PreprocessingResolver.resolve(checkpoint(notJSON)) }
    }

    @Test func familyDefaultsAreSaidInANote() throws {
        let (t, notes) = try PreprocessingResolver.resolve(checkpoint("/nonexistent/model.safetensors"))
        #expect(notes.count == 1 && notes[0].contains("defaults of timm"))
        #expect(t.resizeSize == [256, 256] && t.mean == PreprocessingResolver.imagenetMean)
        let h = try PreprocessingResolver.resolve(checkpoint("/x/m.safetensors", convention: "hf", family: "ViT (transformers)")).0
        #expect(h.resizeMode == .exact && h.mean == [0.5, 0.5, 0.5] && h.interpolation == .bilinear)
        let c = try PreprocessingResolver.resolve(checkpoint("/x/m.safetensors", convention: "hf", family: "CLIP (transformers)")).0
        #expect(c.mean == PreprocessingResolver.openaiClipMean && c.cropSize == [224, 224])
    }

    @Test func overridesAndMetadataRoundTrip() throws {
        let o = PreprocessingOverrides(resize: 300, cropPct: nil, interpolation: .lanczos, mean: [0, 0, 0], std: [1, 1, 1])
        let p = try PreprocessingResolver.resolve(checkpoint("/x/m.bin"), overrides: o).0
        #expect(p.resizeSize == [300, 300] && p.interpolation == .lanczos && p.mean == [0, 0, 0] && p.source.contains("overrides"))
        let pct = try PreprocessingResolver.resolve(checkpoint("/x/m.bin"), overrides: .init(cropPct: 1.0)).0
        #expect(pct.resizeSize == [224, 224] && pct.cropSize == [224, 224])
        #expect(throws: PreprocessError.self) { _ = try PreprocessingResolver.resolve(checkpoint("/x"), overrides: .init(cropPct: 0)) }
        #expect(throws: PreprocessError.self) { _ = try PreprocessingResolver.resolve(checkpoint("/x"), overrides: .init(std: [1, 0, 1])) }
        let text = String(decoding: try JSONEncoder().encode(p), as: UTF8.self)
        let back = try PreprocessingResolver.resolve(checkpoint("/x", metadata: [PreprocessingResolver.metadataKey: text])).0
        #expect(back == p)
        #expect(throws: PreprocessError.self) {
            _ = try PreprocessingResolver.resolve(checkpoint("/x", metadata: [PreprocessingResolver.metadataKey: "{}"]))
        }
    }

    /// Pillow's alpha_composite onto white, checked against values computed with Pillow 13
    /// (`Image.alpha_composite(Image.new("RGBA", (1, 1), "white"), Image.new("RGBA", (1, 1), (r, g, b, a)))`).
    @Test func compositeOnWhite() {
        var img = RGBImage(width: 3, height: 1, pixels: [10, 200, 30, 10, 200, 30, 10, 200, 30])
        img.alpha = [0, 128, 255]
        let out = img.compositedOnWhite().pixels
        #expect(Array(out[0..<3]) == [255, 255, 255])
        #expect(Array(out[6..<9]) == [10, 200, 30])
        #expect(Array(out[3..<6]) == [132, 227, 142])
    }
}

/// Batches: images that do not end up at the model's size (no resize, no crop) are refused naming the file; an image
/// smaller than a patch is refused before any resizing.
@Suite struct ImageBatchTests {
    let none = Preprocessing(resizeMode: .none, resizeSize: [0, 0], interpolation: .bilinear, cropSize: nil,
                             cropPlacement: .huggingFace, rescaleFactor: 1.0 / 255.0, mean: nil, std: nil, source: "test")

    @Test func mixedSizesWithoutResizeAreRefused() throws {
        let files = ["images/grey.jpg", "images/rgb.png"].map(imageFixture)
        #expect(throws: ImageError.sizeMismatch(file: files[0], width: 123, height: 97, expectedWidth: 200, expectedHeight: 133)) {
            _ = try ImageBatchLoader.load(files, preprocessing: none, minimumSide: 8, expectedSize: [133, 200])
        }
        let ok = try ImageBatchLoader.load([files[1]], preprocessing: none, minimumSide: 8, expectedSize: [133, 200])
        #expect(ok.shape == [1, 3, 133, 200])
    }

    @Test func smallerThanAPatch() throws {
        let file = imageFixture("images/tiny.png")
        #expect(throws: ImageError.self) {
            _ = try ImageBatchLoader.load([file], preprocessing: none, minimumSide: 8, expectedSize: [5, 7])
        }
        do { _ = try ImageBatchLoader.load([file], preprocessing: none, minimumSide: 8, expectedSize: [7, 5]) } catch let e as ImageError {
            guard case let .tooSmall(f, w, h, m, _) = e else { Issue.record("\(e)"); return }
            #expect(f == file && w == 5 && h == 7 && m == 8 && "\(e)".contains("smaller than 8 pixels"))
        }
    }

    @Test func foldersExpandToTheirImages() throws {
        let files = try ImageBatchLoader.expand([imageFixture("images")])
        #expect(files.count >= 15 && files == files.sorted() && files.allSatisfy { $0.hasSuffix(".jpg") || $0.hasSuffix(".png") })
        #expect(throws: ImageError.self) { _ = try ImageBatchLoader.expand([imageFixture("nonexistent")]) }
        #expect(throws: ImageError.self) { _ = try ImageBatchLoader.expand([imageFixture("plots")]) }
    }
}
