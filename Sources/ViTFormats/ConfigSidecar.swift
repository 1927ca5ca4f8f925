import Foundation
import ViTTensor

/// The `config.json` a Hugging Face or timm hub folder ships beside the weights.
///
/// Model knowledge, not container knowledge: the readers never look for it; the opener attaches it to
/// the source it opened (`TensorSource.configJSON`, and its path in `files`).
enum ConfigSidecar {
    /// The file name looked for.
    static let name = "config.json"

    /// `source` with the `config.json` of `folder` attached, or `source` itself when there is none.
    /// - Throws: `FormatError.invalidConfig` for a config that is not UTF-8 text.
    static func attach(to source: any TensorSource, folder: String) throws -> any TensorSource {
        let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else { return source }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FormatError.invalidConfig(path: path, message: "a file that cannot be read")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw FormatError.invalidConfig(path: path, message: "invalid UTF-8")
        }
        return SourceWithConfig(base: source, configJSON: text, configPath: path)
    }

    /// `source` with the `config.json` beside the file `file` attached.
    static func attach(to source: any TensorSource, besideFile file: String) throws -> any TensorSource {
        let folder = file.contains("/") ? String(file[..<(file.lastIndex(of: "/") ?? file.endIndex)]) : "."
        return try attach(to: source, folder: folder.isEmpty ? "/" : folder)
    }
}

/// A checkpoint with the `config.json` shipped beside it: everything forwarded to `base`, plus the config.
public final class SourceWithConfig: TensorSource {
    /// The checkpoint as its reader opened it.
    public let base: any TensorSource
    /// The sidecar's text.
    public let configJSON: String?
    /// The sidecar's path.
    public let configPath: String

    init(base: any TensorSource, configJSON: String, configPath: String) {
        self.base = base
        self.configJSON = configJSON
        self.configPath = configPath
    }

    public var path: String { base.path }
    public var formatName: String { base.formatName }
    public var tensorInfos: [TensorInfo] { base.tensorInfos }
    public var metadata: [String: String] { base.metadata }
    public var files: [String] { base.files + [configPath] }
    public var keepsRegistrationOrder: Bool { base.keepsRegistrationOrder }
    public func kerasNames() throws -> KerasNames? { try base.kerasNames() }
    public func tensor(named name: String) throws -> Tensor { try base.tensor(named: name) }
    public func storedBytes(named name: String) throws -> StoredBytes? { try base.storedBytes(named: name) }
}
