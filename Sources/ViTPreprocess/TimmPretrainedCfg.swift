import Foundation
import ViTImage

/// timm's `pretrained_cfg` and its eval transform (timm.data.transforms_factory.transforms_imagenet_eval):
/// `scale = floor(size / crop_pct)`; `crop_mode` center: square targets resize the shorter side to `scale`
/// (torchvision `Resize(int)`), others keep the ratio (`ResizeKeepRatio`); `squash` resizes to exactly `scale`;
/// then `CenterCrop(input_size)`, `ToTensor`, `Normalize(mean, std)`.
enum TimmPretrainedCfg {
    /// The `pretrained_cfg` object of a timm hub config.json (or the object itself when it is one).
    static func find(in text: String, file: String) throws -> [String: Any]? {
        guard let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
        if let cfg = json["pretrained_cfg"] as? [String: Any] { return cfg }
        return json["input_size"] != nil && json["crop_pct"] != nil ? json : nil
    }

    static func preprocessing(_ cfg: [String: Any], file: String, imageSize: [Int], notes: inout [String]) throws -> Preprocessing {
        var size = imageSize
        if let s = cfg["input_size"] {
            guard let a = s as? [Any], a.count == 3, let h = (a[1] as? NSNumber)?.intValue, let w = (a[2] as? NSNumber)?.intValue,
                  h > 0, w > 0 else {
                throw PreprocessError.badValue(file: file, key: "pretrained_cfg.input_size", expected: "[C, H, W]", found: "\(s)")
            }
            size = [h, w]
        }
        var filter = ResampleFilter.bicubic
        if let name = cfg["interpolation"] as? String {
            guard let f = ResampleFilter(name: name) else {
                throw PreprocessError.unsupported(file: file, key: "pretrained_cfg.interpolation", value: name,
                                                  hint: "use --interpolation (nearest, box, bilinear, hamming, bicubic, lanczos)")
            }
            filter = f
        }
        var pct = PreprocessingResolver.timmDefaultCropPct
        if let v = cfg["crop_pct"] as? NSNumber { pct = v.doubleValue } else {
            notes.append("\(file): pretrained_cfg has no crop_pct; using timm's default \(pct)")
        }
        guard pct > 0 else { throw PreprocessError.badValue(file: file, key: "pretrained_cfg.crop_pct", expected: "a positive number", found: "\(pct)") }
        let mode = cfg["crop_mode"] as? String ?? "center"
        let mean = try triple(cfg["mean"], key: "mean", file: file) ?? PreprocessingResolver.imagenetMean
        let std = try triple(cfg["std"], key: "std", file: file) ?? PreprocessingResolver.imagenetStd
        let scale = size.map { Int((Double($0) / pct).rounded(.down)) }
        let resize: Preprocessing.ResizeMode
        switch mode {
        case "center": resize = size[0] == size[1] ? .shorter : .keepRatio
        case "squash": resize = .exact
        default:
            throw PreprocessError.unsupported(file: file, key: "pretrained_cfg.crop_mode", value: mode,
                                              hint: "ViTKit reproduces center and squash; use --resize/--crop-pct to choose another")
        }
        return Preprocessing(resizeMode: resize, resizeSize: scale, interpolation: filter, cropSize: size,
                             cropPlacement: .torchvision, rescaleFactor: 1.0 / 255.0, mean: mean, std: std,
                             source: "timm pretrained_cfg (\((file as NSString).lastPathComponent))")
    }

    static func triple(_ v: Any?, key: String, file: String) throws -> [Double]? {
        guard let v else { return nil }
        guard let a = v as? [Any], a.count == 3, let d = Optional(a.compactMap { ($0 as? NSNumber)?.doubleValue }), d.count == 3 else {
            throw PreprocessError.badValue(file: file, key: "pretrained_cfg.\(key)", expected: "3 numbers", found: "\(v)")
        }
        return d
    }
}
