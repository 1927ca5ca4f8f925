import Foundation
import ViTImage

/// Values given on the command line; each replaces the resolved one.
public struct PreprocessingOverrides: Sendable, Equatable {
    /// The resize size: the shorter side (or both sides of an exact resize).
    public var resize: Int?
    /// timm's crop_pct: resize the shorter side to floor(crop / pct) and crop to the model's input.
    public var cropPct: Double?
    public var interpolation: ResampleFilter?
    public var mean: [Double]?
    public var std: [Double]?

    public init(resize: Int? = nil, cropPct: Double? = nil, interpolation: ResampleFilter? = nil,
                mean: [Double]? = nil, std: [Double]? = nil) {
        self.resize = resize
        self.cropPct = cropPct
        self.interpolation = interpolation
        self.mean = mean
        self.std = std
    }
}

/// Finds a checkpoint's preprocessing, in this order: ViTKit's own metadata entry (`vitkit_preprocessing`, written
/// by vit-convert); a Hugging Face `preprocessor_config.json` beside the checkpoint; a timm `pretrained_cfg` (in the
/// shipped config.json or the safetensors metadata); else the family's published defaults, said in a note.
public enum PreprocessingResolver {
    /// The metadata key converted files carry the preprocessing under.
    public static let metadataKey = "vitkit_preprocessing"
    /// timm's DEFAULT_CROP_PCT.
    public static let timmDefaultCropPct = 0.875
    public static let imagenetMean = [0.485, 0.456, 0.406], imagenetStd = [0.229, 0.224, 0.225]
    public static let openaiClipMean = [0.48145466, 0.4578275, 0.40821073], openaiClipStd = [0.26862954, 0.26130258, 0.27577711]

    /// The facts about the checkpoint the resolver reads.
    public struct Checkpoint: Sendable {
        /// The checkpoint's file or folder (preprocessor_config.json is looked for beside it).
        public var path: String
        public var metadata: [String: String]
        public var configJSON: String?
        /// The convention's name (`timm`, `hf`, ...), for defaults.
        public var convention: String
        /// The family (`ViTConfig.family`), for defaults.
        public var family: String?
        /// The model's input [height, width].
        public var imageSize: [Int]

        public init(path: String, metadata: [String: String], configJSON: String?, convention: String, family: String?, imageSize: [Int]) {
            self.path = path
            self.metadata = metadata
            self.configJSON = configJSON
            self.convention = convention
            self.family = family
            self.imageSize = imageSize
        }
    }

    /// The preprocessing of `checkpoint` with `overrides` applied, and notes for what was assumed.
    public static func resolve(_ checkpoint: Checkpoint, overrides: PreprocessingOverrides = .init()) throws -> (Preprocessing, [String]) {
        var notes: [String] = []
        var p = try found(checkpoint, notes: &notes)
        try apply(overrides, to: &p, imageSize: checkpoint.imageSize)
        return (p, notes)
    }

    /// The config-given preprocessing (no overrides), or nil when only defaults apply.
    public static func configured(_ checkpoint: Checkpoint) throws -> Preprocessing? {
        var notes: [String] = []
        let p = try found(checkpoint, notes: &notes)
        return p.source.hasPrefix("defaults") ? nil : p
    }

    static func found(_ c: Checkpoint, notes: inout [String]) throws -> Preprocessing {
        if let text = c.metadata[metadataKey] {
            do { return try JSONDecoder().decode(Preprocessing.self, from: Data(text.utf8)) } catch {
                throw PreprocessError.badFile(file: c.path, message: "__metadata__.\(metadataKey) is not a ViTKit preprocessing entry: \(error)")
            }
        }
        if let file = preprocessorConfigPath(c.path) {
            return try HuggingFacePreprocessor.read(file: file, imageSize: c.imageSize, notes: &notes)
        }
        if let text = c.configJSON, let cfg = try TimmPretrainedCfg.find(in: text, file: configPath(c.path)) {
            return try TimmPretrainedCfg.preprocessing(cfg, file: configPath(c.path), imageSize: c.imageSize, notes: &notes)
        }
        if let text = c.metadata["pretrained_cfg"] {
            guard let cfg = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                throw PreprocessError.badFile(file: c.path, message: "__metadata__.pretrained_cfg is not a JSON object")
            }
            return try TimmPretrainedCfg.preprocessing(cfg, file: c.path + " __metadata__", imageSize: c.imageSize, notes: &notes)
        }
        let d = FamilyDefaults.preprocessing(convention: c.convention, family: c.family, imageSize: c.imageSize)
        notes.append("no preprocessing config found beside \(c.path) (preprocessor_config.json, timm pretrained_cfg); "
                     + "using \(d.source): \(d.summary)")
        return d
    }

    /// `preprocessor_config.json` in the checkpoint's folder (or in the folder given), if present.
    static func preprocessorConfigPath(_ path: String) -> String? {
        var isDir: ObjCBool = false
        let folder = FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
            ? path : (path as NSString).deletingLastPathComponent
        let file = (folder.isEmpty ? "." : folder) + "/preprocessor_config.json"
        return FileManager.default.fileExists(atPath: file) ? file : nil
    }

    static func configPath(_ path: String) -> String {
        var isDir: ObjCBool = false
        let folder = FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
            ? path : (path as NSString).deletingLastPathComponent
        return (folder.isEmpty ? "." : folder) + "/config.json"
    }

    static func apply(_ o: PreprocessingOverrides, to p: inout Preprocessing, imageSize: [Int]) throws {
        if let f = o.interpolation { p.interpolation = f }
        if let m = o.mean {
            guard m.count == 3 else { throw PreprocessError.badOverride(option: "--mean", message: "expected 3 values, found \(m.count)") }
            p.mean = m
            if p.std == nil { p.std = [1, 1, 1] }
        }
        if let s = o.std {
            guard s.count == 3, s.allSatisfy({ $0 > 0 }) else {
                throw PreprocessError.badOverride(option: "--std", message: "expected 3 positive values, found \(s)")
            }
            p.std = s
            if p.mean == nil { p.mean = [0, 0, 0] }
        }
        if let pct = o.cropPct {
            guard pct > 0, pct <= 1 else { throw PreprocessError.badOverride(option: "--crop-pct", message: "expected 0 < pct <= 1, found \(pct)") }
            let crop = p.cropSize ?? imageSize
            p.cropSize = crop
            p.resizeMode = .shorter
            p.resizeSize = [Int((Double(min(crop[0], crop[1])) / pct).rounded(.down))].flatMap { [$0, $0] }
        }
        if let r = o.resize {
            guard r > 0 else { throw PreprocessError.badOverride(option: "--resize", message: "expected a positive size, found \(r)") }
            if p.resizeMode == .exact { p.resizeSize = [r, r] } else { p.resizeMode = .shorter; p.resizeSize = [r, r] }
        }
        if p.rescaleFactor == nil && p.mean != nil && o.mean != nil { p.rescaleFactor = 1.0 / 255.0 }
        if o != PreprocessingOverrides() { p.source += " with command-line overrides" }
    }
}
