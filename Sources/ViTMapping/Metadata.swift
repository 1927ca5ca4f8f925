import Foundation
import ViTModel

/// A parsed JSON value (config.json files are read field by field, not into fixed structs).
enum JSONValue: Decodable, Equatable, Sendable {
    case object([String: JSONValue]), array([JSONValue]), string(String), number(Double), bool(Bool), null

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    static func parse(_ text: String) -> JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }

    subscript(_ key: String) -> JSONValue? { if case let .object(o) = self { return o[key] } else { return nil } }
    var int: Int? { if case let .number(n) = self, n.rounded() == n, abs(n) < 1e15 { return Int(n) } else { return nil } }
    var double: Double? { if case let .number(n) = self { return n } else { return nil } }
    var string: String? { if case let .string(s) = self { return s } else { return nil } }
    var bool: Bool? { if case let .bool(b) = self { return b } else { return nil } }
    /// An int or a list of ints (e.g. `image_size: 224` or `[224, 224]`), as a (height, width) pair.
    var pair: [Int]? {
        if let i = int { return [i, i] }
        if case let .array(a) = self { let v = a.compactMap(\.int); return v.count == 2 && a.count == 2 ? v : nil }
        return nil
    }
}

/// A fact read from metadata, with the key it came from.
struct Fact<T: Sendable & Equatable>: Sendable, Equatable {
    let value: T
    let key: String
}

/// Facts about the model found in metadata and shipped config files.
struct MetadataFacts: Sendable {
    /// A complete ViTKit config (our own outputs).
    var embedded: Fact<ViTConfig>?
    var heads: Fact<Int>?
    var imageSize: Fact<[Int]>?
    var patchSize: Fact<[Int]>?
    var channels: Fact<Int>?
    var eps: Fact<Double>?
    var labels: Fact<[String]>?
    var globalPool: Fact<ViTConfig.GlobalPool>?
    /// Sizes to cross-check against the weights: key → (value, what it must equal).
    var embedDim: Fact<Int>?
    var depth: Fact<Int>?
    var mlpDim: Fact<Int>?
    var qkvBias: Fact<Bool>?
    var numClasses: Fact<Int>?
    /// The MLP activation (`hidden_act`).
    var activation: Fact<ViTConfig.Activation>?
    /// The family named by the metadata (`model_type`, timm `architecture`).
    var family: String?
    var notes: [String] = []

    /// Reads `context.metadata` and `context.configJSON`.
    /// - Throws: `MappingError.badMetadata` for an embedded ViTKit config that does not decode or validate,
    ///   `MappingError.unsupportedActivation` for a Hugging Face `hidden_act` other than exact GELU.
    static func read(_ context: SourceContext) throws -> MetadataFacts {
        var f = MetadataFacts()
        let file = context.file
        let key = ViTMapper.embeddedConfigKey
        if let text = context.metadata[key] {
            f.embedded = Fact(value: try decodeConfig(text, file: file, key: key), key: "__metadata__.\(key)")
        }
        for key in ["num_heads", "num_attention_heads", "heads"] {
            if f.heads == nil, let s = context.metadata[key] {
                guard let v = Int(s.trimmingCharacters(in: .whitespaces)), v > 0 else {
                    throw MappingError.badMetadata(file: file, key: key, message: "expected a positive integer, found \"\(s)\"")
                }
                f.heads = Fact(value: v, key: "__metadata__.\(key)")
            }
        }
        if let s = context.metadata["image_size"] {
            guard let p = JSONValue.parse(s)?.pair, p.allSatisfy({ $0 > 0 }) else {
                throw MappingError.badMetadata(file: file, key: "image_size", message: "expected N or [H, W], found \"\(s)\"")
            }
            f.imageSize = Fact(value: p, key: "__metadata__.image_size")
        }
        guard let text = context.configJSON else { return f }
        guard let json = JSONValue.parse(text), case .object = json else {
            throw MappingError.badMetadata(file: file, key: "config.json", message: "not a JSON object")
        }
        if json["embed_dim"] != nil, json["depth"] != nil, json["patch_size"] != nil, json["architecture"] == nil {
            if f.embedded == nil {
                f.embedded = Fact(value: try decodeConfig(text, file: file, key: "config.json"), key: "config.json")
            }
        } else if case .object? = json["vision_config"] {
            // A whole CLIPModel / SiglipModel: the image tower's facts are in `vision_config`.
            try f.readHuggingFace(json["vision_config"] ?? json, file: file, prefix: "vision_config.")
            f.family = json["model_type"]?.string.map(familyName) ?? f.family
        } else if json["num_attention_heads"] != nil || json["model_type"]?.string == "vit" {
            try f.readHuggingFace(json, file: file)
        } else if json["architecture"] != nil {
            f.readTimm(json)
        }
        return f
    }

    private static func decodeConfig(_ text: String, file: String, key: String) throws -> ViTConfig {
        do { return try ViTConfig.fromJSON(text) } catch let e as ViTConfigError {
            throw MappingError.badMetadata(file: file, key: key, message: e.description)
        } catch {
            throw MappingError.badMetadata(file: file, key: key, message: "not a ViTKit config: \(error)")
        }
    }

    /// The family a Hugging Face `model_type` names.
    static func familyName(_ modelType: String) -> String {
        switch modelType {
        case "dinov2": return "DINOv2 (transformers)"
        case "dinov2_with_registers": return "DINOv2 with registers (transformers)"
        case "clip", "clip_vision_model": return "CLIP (transformers)"
        case "siglip", "siglip_vision_model": return "SigLIP (transformers)"
        case "deit": return "DeiT (transformers)"
        case "vit_mae": return "MAE (transformers ViTMAE)"
        case "vit": return "ViT (transformers)"
        default: return "\(modelType) (transformers)"
        }
    }

    /// Hugging Face `hidden_act` names of the activations ViTKit runs.
    static func activation(hiddenAct: String) -> ViTConfig.Activation? {
        switch hiddenAct {
        case "gelu": return .gelu
        case "gelu_pytorch_tanh", "gelu_new", "gelu_fast", "gelu_tanh": return .geluTanh
        case "quick_gelu": return .quickGelu
        default: return nil
        }
    }

    /// Hugging Face `ViTConfig`-like fields (also Dinov2, CLIP and SigLIP vision configs, DeiT, ViTMAE).
    private mutating func readHuggingFace(_ j: JSONValue, file: String, prefix: String = "") throws {
        func fact<T>(_ key: String, _ get: (JSONValue) -> T?) -> Fact<T>? {
            j[key].flatMap(get).map { Fact(value: $0, key: "config.json \(prefix)\(key)") }
        }
        if let act = j["hidden_act"]?.string {
            guard let a = Self.activation(hiddenAct: act) else {
                throw MappingError.unsupportedActivation(file: file, key: "config.json \(prefix)hidden_act", value: act)
            }
            activation = Fact(value: j["use_swiglu_ffn"]?.bool == true ? .swiglu : a, key: "config.json \(prefix)hidden_act")
        }
        family = j["model_type"]?.string.map(Self.familyName)
        if let act = j["pooler_act"]?.string, act != "tanh" {
            throw MappingError.unsupportedActivation(file: file, key: "config.json pooler_act", value: act)
        }
        heads = heads ?? fact("num_attention_heads", \.int)
        eps = fact("layer_norm_eps", \.double)
        imageSize = imageSize ?? fact("image_size", \.pair)
        patchSize = fact("patch_size", \.pair)
        channels = fact("num_channels", \.int)
        embedDim = fact("hidden_size", \.int)
        depth = fact("num_hidden_layers", \.int)
        mlpDim = fact("intermediate_size", \.int)
        qkvBias = fact("qkv_bias", \.bool)
        if case let .object(id2label)? = j["id2label"] {
            var labels: [String] = []
            for i in 0..<id2label.count {
                guard let l = id2label[String(i)]?.string else { labels = []; break }
                labels.append(l)
            }
            if labels.isEmpty && !id2label.isEmpty {
                notes.append("config.json id2label is not a list of classes 0..<\(id2label.count); labels ignored")
            } else if !labels.isEmpty {
                self.labels = Fact(value: labels, key: "config.json id2label")
            }
        }
    }

    /// timm hub `config.json` fields (`architecture`, `global_pool`, `pretrained_cfg`, `model_args`).
    private mutating func readTimm(_ j: JSONValue) {
        if let arch = j["architecture"]?.string {
            family = "\(arch) (timm)"
            // timm's `*_clip_quickgelu_*` archs build QuickGELU; the same weights under `*_clip_*` run GELU.
            if arch.contains("quickgelu") { activation = Fact(value: .quickGelu, key: "config.json architecture") }
        }
        if let p = j["global_pool"]?.string.flatMap(ViTConfig.GlobalPool.init(rawValue:)) {
            globalPool = Fact(value: p, key: "config.json global_pool")
        }
        if let k = j["num_classes"]?.int { numClasses = Fact(value: k, key: "config.json num_classes") }
        if let args = j["model_args"] {
            heads = heads ?? args["num_heads"]?.int.map { Fact(value: $0, key: "config.json model_args.num_heads") }
            if let act = args["act_layer"]?.string, let a = Self.activation(hiddenAct: act == "quick_gelu" ? "quick_gelu" : act) {
                activation = Fact(value: a, key: "config.json model_args.act_layer")
            }
            imageSize = imageSize ?? args["img_size"]?.pair.map { Fact(value: $0, key: "config.json model_args.img_size") }
        }
        if imageSize == nil, case let .array(a)? = j["pretrained_cfg"]?["input_size"], a.count == 3,
           let h = a[1].int, let w = a[2].int {
            imageSize = Fact(value: [h, w], key: "config.json pretrained_cfg.input_size")
        }
        if case let .array(names)? = j["label_names"] {
            let l = names.compactMap(\.string)
            if l.count == names.count, !l.isEmpty { labels = Fact(value: l, key: "config.json label_names") }
        }
    }
}
