import Foundation
import SwiftProtobuf
import ViTTensor

/// Builds an ONNX graph node by node: fresh value names, initializers (weights keep their dtype; a Cast to
/// float32 follows those stored as float16 or bfloat16), int64 and float constants.
struct ONNXGraphBuilder {
    private(set) var nodes: [Onnx_NodeProto] = []
    private(set) var initializers: [Onnx_TensorProto] = []
    private var counter = 0
    private var constants: [String: String] = [:]
    private var weights: [String: String] = [:]

    /// ONNX `TensorProto.DataType` of a dtype (FLOAT 1, FLOAT16 10, DOUBLE 11, BFLOAT16 16, INT64 7).
    static func dataType(_ d: DType) -> Int32? {
        switch d {
        case .f32: return 1
        case .f16: return 10
        case .bf16: return 16
        case .f64: return 11
        default: return nil
        }
    }

    mutating func fresh(_ hint: String) -> String {
        counter += 1
        return "\(hint)_\(counter)"
    }

    /// Adds a weight under `name` and returns a float32 value (a Cast node after a float16/bfloat16 initializer).
    /// - Throws: `ONNXExportError.unsupportedDType`.
    mutating func weight(_ name: String, _ t: Tensor) throws -> String {
        if let v = weights[name] { return v }
        let v = try addWeight(name, t)
        weights[name] = v
        return v
    }

    private mutating func addWeight(_ name: String, _ t: Tensor) throws -> String {
        var t = t
        if t.dtype == .f64 { t = try t.converted(to: .f32) }
        guard let code = ONNXGraphBuilder.dataType(t.dtype) else { throw ONNXExportError.unsupportedDType(tensor: name, dtype: t.dtype.rawValue) }
        var p = Onnx_TensorProto()
        p.name = name
        p.dims = t.shape.map(Int64.init)
        p.dataType = code
        p.rawData = t.withUnsafeBytes { Data($0) }
        initializers.append(p)
        guard t.dtype != .f32 else { return name }
        return op("Cast", [name], attrs: [ONNXGraphBuilder.int("to", 1)], hint: name + "_f32")
    }

    /// An int64 constant (one initializer per distinct value list).
    mutating func ints(_ v: [Int64]) -> String {
        let key = "i:" + v.map(String.init).joined(separator: ",")
        if let n = constants[key] { return n }
        let name = "const_i64_\(constants.count)"
        var p = Onnx_TensorProto()
        p.name = name
        p.dims = [Int64(v.count)]
        p.dataType = 7
        p.rawData = v.withUnsafeBytes { Data($0) }
        initializers.append(p)
        constants[key] = name
        return name
    }

    /// A float32 scalar constant.
    mutating func scalar(_ v: Float) -> String {
        let key = "f:\(v.bitPattern)"
        if let n = constants[key] { return n }
        let name = "const_f32_\(constants.count)"
        var p = Onnx_TensorProto()
        p.name = name
        p.dims = []
        p.dataType = 1
        p.rawData = withUnsafeBytes(of: v) { Data($0) }
        initializers.append(p)
        constants[key] = name
        return name
    }

    /// Adds a node with one output and returns the output's name.
    mutating func op(_ type: String, _ inputs: [String], attrs: [Onnx_AttributeProto] = [], hint: String? = nil) -> String {
        let out = fresh(hint ?? type.lowercased())
        var n = Onnx_NodeProto()
        n.opType = type
        n.name = "\(type)_\(counter)"
        n.input = inputs
        n.output = [out]
        n.attribute = attrs
        nodes.append(n)
        return out
    }

    /// Adds a node whose single output gets a fixed name (the graph output).
    mutating func rename(_ value: String, to name: String) {
        var n = Onnx_NodeProto()
        n.opType = "Identity"
        n.name = "Identity_output"
        n.input = [value]
        n.output = [name]
        nodes.append(n)
    }

    static func int(_ name: String, _ v: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = Int64(v)
        return a
    }

    static func float(_ name: String, _ v: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .float
        a.f = v
        return a
    }

    static func ints(_ name: String, _ v: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = v.map(Int64.init)
        return a
    }
}

/// Errors of building an ONNX graph.
public enum ONNXExportError: Error, Equatable, CustomStringConvertible, Sendable {
    case unsupportedDType(tensor: String, dtype: String)
    case missingTensor(String)
    case serialization(String)

    public var description: String {
        switch self {
        case let .unsupportedDType(t, d): return "onnx: \(t) is \(d); ONNX weights are written as f32, f16 or bf16 (use --dtype)"
        case let .missingTensor(n): return "onnx: the canonical tensor \(n) is missing"
        case let .serialization(m): return "onnx: serialising the model failed: \(m)"
        }
    }
}
