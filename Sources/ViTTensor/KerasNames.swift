/// The model-level names of the weights in a Keras HDF5 file, which its dataset paths do not spell.
///
/// Read by the HDF5 reader from the file's attributes (`TensorSource.kerasNames()`), used by the mapping,
/// which thereby never sees the container.
public struct KerasNames: Sendable, Equatable {
    /// Which Keras layout the names come from.
    public enum Layout: String, Sendable, Equatable {
        /// Keras 2 `save_weights`/`save` `.h5`: names from `layer_names` and each layer's `weight_names`.
        case legacy
        /// Keras 3 `.weights.h5`: names built from the `name` attributes of the `vars` groups and the variable index.
        case keras3
    }

    /// One weight: the tensor name in the source and its Keras name.
    public struct Weight: Sendable, Equatable {
        /// The tensor name as the source lists it (the dataset path).
        public let tensor: String
        /// The Keras name, e.g. `Transformer/encoderblock_0/MultiHeadDotProductAttention_1/query/kernel:0` (legacy)
        /// or `Transformer_encoderblock_0/MultiHeadDotProductAttention_1/query/0` (Keras 3: variable index last).
        public let name: String

        /// - Parameters:
        ///   - tensor: the tensor name in the source.
        ///   - name: the Keras weight name.
        public init(tensor: String, name: String) {
            self.tensor = tensor
            self.name = name
        }
    }

    /// The layout.
    public var layout: Layout
    /// The weights in model order (`layer_names` then `weight_names` for legacy files).
    public var weights: [Weight]

    /// - Parameters:
    ///   - layout: legacy or Keras 3.
    ///   - weights: the weights in model order.
    public init(layout: Layout, weights: [Weight]) {
        self.layout = layout
        self.weights = weights
    }
}
