import ViTTensor

/// Everything besides tensor headers that mapping may use: the file name for errors, string metadata,
/// a shipped `config.json`, and for Keras files the names recorded in HDF5 attributes.
public struct SourceContext: Sendable, Equatable {
    /// The checkpoint's path (used in every error message).
    public var file: String
    /// String metadata (safetensors `__metadata__`, HDF5 root string attributes, …).
    public var metadata: [String: String]
    /// The JSON text of a `config.json` shipped with the checkpoint (Hugging Face, timm hub) or ViTKit's own config.
    public var configJSON: String?
    /// Keras weight names, when the source is a Keras HDF5 file.
    public var keras: KerasNames?
    /// Whether the tensors are listed in the order the model registered them (torch.save keeps a state dict's
    /// order; safetensors and HDF5 sort names). Structural reading uses it to order a block's norms.
    public var registrationOrder: Bool = false

    /// - Parameters:
    ///   - file: the checkpoint's path, for messages.
    ///   - metadata: string metadata.
    ///   - configJSON: a shipped config.json, if any.
    ///   - keras: Keras names from the HDF5 attributes, if any.
    public init(file: String, metadata: [String: String] = [:], configJSON: String? = nil, keras: KerasNames? = nil) {
        self.file = file
        self.metadata = metadata
        self.configJSON = configJSON
        self.keras = keras
    }
}

extension KerasNames {
    /// The name a Keras table matches: the `:0` suffix dropped and `/` joins written as `_`, so Keras 2
    /// (`Transformer/encoderblock_0`) and Keras 3 (`Transformer_encoderblock_0`) names read alike.
    static func matchName(_ name: String) -> String {
        var n = Substring(name)
        if let colon = n.lastIndex(of: ":"), n[n.index(after: colon)...].allSatisfy(\.isNumber), n.index(after: colon) < n.endIndex {
            n = n[..<colon]
        }
        return String(n.map { $0 == "/" ? "_" : $0 })
    }
}
