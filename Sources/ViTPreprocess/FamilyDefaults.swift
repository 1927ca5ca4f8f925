import ViTImage

/// The published preprocessing of each family, used when a checkpoint ships none (always said in a note).
/// - timm ViTs: timm's defaults (`resolve_data_config`): bicubic, crop_pct 0.875, ImageNet mean/std. Many timm
///   ViT weights (augreg, CLIP-derived) publish 0.5 or OpenAI means instead: their hub config.json says so.
/// - Hugging Face ViT/DeiT (`ViTImageProcessor`): exact resize, bilinear, mean/std 0.5 (DeiT: bicubic, ImageNet).
/// - CLIP (`CLIPImageProcessor`): shorter side to the input size, bicubic, centre crop, OpenAI mean/std.
/// - SigLIP (`SiglipImageProcessor`): exact resize, bicubic, mean/std 0.5.
/// - DINOv2 (`BitImageProcessor` as published): shorter side to floor(size / 0.875), bicubic, crop, ImageNet mean/std.
enum FamilyDefaults {
    static func preprocessing(convention: String, family: String?, imageSize: [Int]) -> Preprocessing {
        let f = (family ?? "").lowercased()
        let r = PreprocessingResolver.self
        if f.contains("clip") {
            return Preprocessing(resizeMode: .shorter, resizeSize: [imageSize[0], imageSize[0]], interpolation: .bicubic,
                                 cropSize: imageSize, cropPlacement: .huggingFace, rescaleFactor: 1.0 / 255.0,
                                 mean: r.openaiClipMean, std: r.openaiClipStd, source: "defaults of CLIP (CLIPImageProcessor)")
        }
        if f.contains("siglip") {
            return Preprocessing(resizeMode: .exact, resizeSize: imageSize, interpolation: .bicubic, cropSize: nil,
                                 cropPlacement: .huggingFace, rescaleFactor: 1.0 / 255.0, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5],
                                 source: "defaults of SigLIP (SiglipImageProcessor)")
        }
        if f.contains("dinov2") {
            let s = Int((Double(imageSize[0]) / 0.875).rounded(.down))
            return Preprocessing(resizeMode: .shorter, resizeSize: [s, s], interpolation: .bicubic, cropSize: imageSize,
                                 cropPlacement: .huggingFace, rescaleFactor: 1.0 / 255.0, mean: r.imagenetMean, std: r.imagenetStd,
                                 source: "defaults of DINOv2 (BitImageProcessor as published)")
        }
        if convention == "hf" {
            let deit = f.contains("deit")
            return Preprocessing(resizeMode: .exact, resizeSize: imageSize, interpolation: deit ? .bicubic : .bilinear, cropSize: nil,
                                 cropPlacement: .huggingFace, rescaleFactor: 1.0 / 255.0,
                                 mean: deit ? r.imagenetMean : [0.5, 0.5, 0.5], std: deit ? r.imagenetStd : [0.5, 0.5, 0.5],
                                 source: deit ? "defaults of DeiT (transformers)" : "defaults of ViT (ViTImageProcessor)")
        }
        let s = imageSize.map { Int((Double($0) / r.timmDefaultCropPct).rounded(.down)) }
        return Preprocessing(resizeMode: imageSize[0] == imageSize[1] ? .shorter : .keepRatio, resizeSize: s,
                             interpolation: .bicubic, cropSize: imageSize, cropPlacement: .torchvision, rescaleFactor: 1.0 / 255.0,
                             mean: r.imagenetMean, std: r.imagenetStd, source: "defaults of timm (bicubic, crop_pct 0.875, ImageNet mean/std)")
    }
}
