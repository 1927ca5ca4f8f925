import ViTTensor

extension SourceContext {
    /// The context of an open checkpoint: its path, metadata, shipped config.json, the Keras names its
    /// container records (if any) and whether it keeps registration order — all through `TensorSource`,
    /// whatever the format.
    /// - Parameter source: an open checkpoint.
    /// - Throws: the source's error when its recorded names exist but cannot be read.
    public init(source: TensorSource) throws {
        self.init(file: source.path, metadata: source.metadata, configJSON: source.configJSON,
                  keras: try source.kerasNames())
        registrationOrder = source.keepsRegistrationOrder
    }
}
