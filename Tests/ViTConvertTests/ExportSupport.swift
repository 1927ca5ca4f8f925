import Foundation
import ViTTestSupport
import ViTConvert
import ViTMapping
import ViTModel
import ViTTensor

/// One fixture an export test reads: a checkpoint with the options a user passes, its input and reference output.
struct ExportSource: Sendable, CustomStringConvertible {
    let name: String
    let checkpoint: String
    let options: MappingOptions
    let input: String
    let output: String

    var description: String { name }

    /// Every plain convention fixture and every family fixture.
    static let all: [ExportSource] = {
        var out: [ExportSource] = []
        for n in ConventionCase.names {
            guard let c = try? ConventionCase(n) else { continue }
            let dir = fixture("conventions/\(n)")
            let logits = FileManager.default.fileExists(atPath: "\(dir)/logits.npy") ? "logits.npy" : "output.npy"
            out.append(ExportSource(name: n, checkpoint: c.weights, options: c.mapping, input: "\(dir)/input.npy",
                                    output: "\(dir)/\(logits)"))
        }
        for n in FamilyTests.cases {
            guard let c = try? FamilyTests.load(n) else { continue }
            let dir = fixture("families/\(n)")
            out.append(ExportSource(name: n, checkpoint: FamilyTests.path(n, c), options: FamilyTests.options(c),
                                    input: "\(dir)/input.npy", output: "\(dir)/output.npy"))
        }
        return out
    }()

    static func named(_ n: String) -> ExportSource? { all.first { $0.name == n } }
}

/// fixtures/export/<layout>.json: what the target library itself loaded and wrote for each fixture
/// (made by tools/check_export.py with timm, transformers, torchvision and ONNX Runtime).
struct ExportManifest: Decodable {
    struct Entry: Decodable {
        let status: String
        let target: String?
        let keys: [[KeyPart]]?
        let schema: [String: [SchemaValue]]?
        let message: String?
    }

    /// A key-list element: a name or a shape.
    enum KeyPart: Decodable {
        case name(String), shape([Int])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .name(s) } else { self = .shape(try c.decode([Int].self)) }
        }
    }

    /// A schema element: a key name or a number (the ONNX opset).
    enum SchemaValue: Decodable {
        case name(String), number(Int)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .name(s) } else { self = .number(try c.decode(Int.self)) }
        }
        var name: String? { if case let .name(s) = self { return s } else { return nil } }
    }

    let cases: [String: Entry]

    static func load(_ layout: ExportLayout) throws -> ExportManifest {
        try JSONDecoder().decode(ExportManifest.self, from: Data(contentsOf: URL(fileURLWithPath: fixture("export/\(layout.rawValue).json"))))
    }
}

extension ExportManifest.Entry {
    /// name → shape, as the library wrote them.
    var shapes: [String: [Int]] {
        var out: [String: [Int]] = [:]
        for k in keys ?? [] {
            guard k.count == 2, case let .name(n) = k[0], case let .shape(s) = k[1] else { continue }
            out[n] = s
        }
        return out
    }

    func schemaNames(_ key: String) -> Set<String> { Set((schema?[key] ?? []).compactMap(\.name)) }
}

/// Keys of a JSON object file (nested objects under `path`, e.g. ["model_args"]).
func jsonKeys(_ file: String, path: [String] = []) throws -> Set<String> {
    var obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any] ?? [:]
    for p in path { obj = obj[p] as? [String: Any] ?? [:] }
    return Set(obj.keys)
}
