import Foundation
import ViTImage

/// A Hugging Face `preprocessor_config.json`, read by its fields (so ViTImageProcessor, CLIPImageProcessor,
/// BitImageProcessor, SiglipImageProcessor, DeiT's and others alike), as the PIL-based ("slow") processors apply them:
/// `do_resize` with `size` {height, width} (exact) or {shortest_edge} (shorter side, the other
/// `int(edge · long / short)`), `resample` (Pillow code), `do_center_crop` with `crop_size` (corner floored),
/// `do_rescale` / `rescale_factor`, `do_normalize` / `image_mean` / `image_std`, `do_convert_rgb` (transparency onto white).
/// transformers 5 runs these processors on a torchvision backend by default (`ViTImageProcessor`), whose tensor
/// resize differs from Pillow's by one level on a few pixels; ViTKit reproduces the Pillow backend
/// (`ViTImageProcessorPil`) exactly (docs/images.md gives both figures).
enum HuggingFacePreprocessor {
    static func read(file: String, imageSize: [Int], notes: inout [String]) throws -> Preprocessing {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw PreprocessError.badFile(file: file, message: "cannot read the file")
        }
        guard let j = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw PreprocessError.badFile(file: file, message: "not a JSON object")
        }
        let type = j["image_processor_type"] as? String ?? j["feature_extractor_type"] as? String ?? "image processor"
        let squareByDefault = !(type.contains("CLIP") || type.contains("Bit") || type.contains("ConvNext"))
        var mode = Preprocessing.ResizeMode.none
        var size = imageSize
        if j["do_resize"] as? Bool ?? true, let s = j["size"] {
            if let n = (s as? NSNumber)?.intValue {
                mode = squareByDefault ? .exact : .shorter
                size = [n, n]
            } else if let o = s as? [String: Any], let h = (o["height"] as? NSNumber)?.intValue, let w = (o["width"] as? NSNumber)?.intValue {
                mode = .exact
                size = [h, w]
            } else if let o = s as? [String: Any], let e = (o["shortest_edge"] as? NSNumber)?.intValue {
                if o["longest_edge"] != nil {
                    throw PreprocessError.unsupported(file: file, key: "size.longest_edge", value: "\(o["longest_edge"]!)",
                                                      hint: "use --resize to choose the shorter side")
                }
                mode = .shorter
                size = [e, e]
            } else {
                throw PreprocessError.badValue(file: file, key: "size", expected: "N, {height, width} or {shortest_edge}", found: "\(s)")
            }
        }
        let code = (j["resample"] as? NSNumber)?.intValue ?? 2
        guard let filter = ResampleFilter(pillowCode: code) else {
            throw PreprocessError.unsupported(file: file, key: "resample", value: "\(code)", hint: "expected a Pillow filter code 0...5")
        }
        var crop: [Int]?
        // absent do_center_crop: the class default (on for CLIP/Bit-like processors, which crop; ViT's has no crop)
        if j["do_center_crop"] as? Bool ?? !squareByDefault, let c = j["crop_size"] {
            if let n = (c as? NSNumber)?.intValue { crop = [n, n] }
            else if let o = c as? [String: Any], let h = (o["height"] as? NSNumber)?.intValue, let w = (o["width"] as? NSNumber)?.intValue { crop = [h, w] }
            else { throw PreprocessError.badValue(file: file, key: "crop_size", expected: "N or {height, width}", found: "\(c)") }
        }
        let rescale = (j["do_rescale"] as? Bool ?? true) ? ((j["rescale_factor"] as? NSNumber)?.doubleValue ?? 1.0 / 255.0) : nil
        var mean: [Double]?, std: [Double]?
        if j["do_normalize"] as? Bool ?? true {
            mean = try triple(j["image_mean"], key: "image_mean", file: file) ?? [0.5, 0.5, 0.5]
            std = try triple(j["image_std"], key: "image_std", file: file) ?? [0.5, 0.5, 0.5]
        }
        if j["do_pad"] as? Bool == true {
            notes.append("\(file): do_pad is set; ViTKit does not pad (the crop or resize fixes the size)")
        }
        var p = Preprocessing(resizeMode: mode, resizeSize: size, interpolation: filter, cropSize: crop, cropPlacement: .huggingFace,
                              rescaleFactor: rescale, mean: mean, std: std,
                              source: "preprocessor_config.json (\(type))")
        // transformers' convert_rgb composites transparency onto white; CLIP-like processors set it by default
        p.alpha = (j["do_convert_rgb"] as? Bool ?? !squareByDefault) ? .white : .drop
        return p
    }

    static func triple(_ v: Any?, key: String, file: String) throws -> [Double]? {
        guard let v else { return nil }
        if let n = (v as? NSNumber)?.doubleValue { return [n, n, n] }
        guard let a = v as? [Any] else { throw PreprocessError.badValue(file: file, key: key, expected: "3 numbers", found: "\(v)") }
        let d = a.compactMap { ($0 as? NSNumber)?.doubleValue }
        guard d.count == 3, a.count == 3 else { throw PreprocessError.badValue(file: file, key: key, expected: "3 numbers", found: "\(v)") }
        return d
    }
}
