import Foundation
import SwiftProtobuf
import ViTModel
import ViTTensor

/// A built ONNX model and what was decided while building it.
public struct ONNXModel {
    /// The protobuf message.
    public let proto: Onnx_ModelProto
    /// `logits` (a classifier) or `embedding` (pooled features or a projection).
    public let outputName: String
    /// Weights and constants stored in the graph.
    public let initializerCount: Int
    /// Facts the user should know.
    public let notes: [String]

    /// The `.onnx` file bytes.
    /// - Throws: `ONNXExportError.serialization`.
    public func serialized() throws -> [UInt8] {
        do { return try [UInt8](proto.serializedData()) } catch { throw ONNXExportError.serialization("\(error)") }
    }
}

/// Builds the ONNX graph of a canonical ViT: opset 17, input `pixel_values` [N, C, H, W] float32 with a dynamic
/// batch, output `logits` or `embedding`. The ops follow the model's own definition: Conv for the patch
/// embedding, MatMul + Add for every Linear (weights stored transposed), LayerNormalization, Softmax attention,
/// GELU as x·½(1 + erf(x/√2)), its tanh form, QuickGELU as x·σ(1.702x), SwiGLU as SiLU(a)·b, ReLU.
public enum ONNXExport {
    public static let opset = 17
    public static let producer = "ViTKit"

    /// - Parameters:
    ///   - config: the canonical config.
    ///   - tensors: canonical name → tensor.
    ///   - metadata: extra `metadata_props` (source file, convention); the config and producer are always added.
    /// - Throws: `ONNXExportError`, `TensorError`.
    public static func model(config: ViTConfig, tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> ONNXModel {
        var g = ViTGraph(config: config, tensors: tensors)
        let output = try g.build()
        let outputName = config.numClasses > 0 && config.headBias ? "logits" : "embedding"
        g.b.rename(output, to: outputName)

        var graph = Onnx_GraphProto()
        graph.name = "vitkit_vit"
        graph.node = g.b.nodes
        graph.initializer = g.b.initializers
        graph.input = [valueInfo("pixel_values", ["batch", config.inChannels, config.imageSize[0], config.imageSize[1]])]
        let outWidth = config.numClasses > 0 ? config.numClasses : config.featureDim
        graph.output = [valueInfo(outputName, ["batch", outWidth])]

        var m = Onnx_ModelProto()
        m.irVersion = 8
        m.producerName = producer
        m.producerVersion = "0.1.0"
        m.domain = "org.vitkit"
        m.modelVersion = 1
        m.docString = "Vision Transformer exported by ViTKit (vit-convert --to onnx)."
        var os = Onnx_OperatorSetIdProto()
        os.domain = ""
        os.version = Int64(opset)
        m.opsetImport = [os]
        m.graph = graph
        var props = metadata
        props["vitkit_config"] = config.jsonString()
        props["vitkit_output"] = outputName
        m.metadataProps = props.sorted { $0.key < $1.key }.map { k, v in
            var e = Onnx_StringStringEntryProto()
            e.key = k
            e.value = v
            return e
        }
        return ONNXModel(proto: m, outputName: outputName, initializerCount: g.b.initializers.count, notes: g.notes)
    }

    static func valueInfo(_ name: String, _ dims: [Any]) -> Onnx_ValueInfoProto {
        var shape = Onnx_TensorShapeProto()
        shape.dim = dims.map { d in
            var x = Onnx_TensorShapeProto.Dimension()
            if let s = d as? String { x.dimParam = s } else if let i = d as? Int { x.dimValue = Int64(i) }
            return x
        }
        var tt = Onnx_TypeProto.Tensor()
        tt.elemType = 1
        tt.shape = shape
        var t = Onnx_TypeProto()
        t.tensorType = tt
        var v = Onnx_ValueInfoProto()
        v.name = name
        v.type = t
        return v
    }
}
