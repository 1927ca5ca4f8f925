import ArgumentParser
import Foundation
import ViTMapping
import ViTModel

extension Convention: ExpressibleByArgument {}
extension PatchOrder: ExpressibleByArgument {}
extension ViTConfig.PreLogitsActivation: ExpressibleByArgument {}
extension ViTConfig.Activation: ExpressibleByArgument {}
extension ViTConfig.PosEmbedRule: ExpressibleByArgument {}

/// A mapping file given with `--map FILE`, read and checked when the flags are parsed.
public struct MapFileArgument: Sendable {
    /// The path as given.
    public let path: String
    /// The parsed file.
    public let map: MapFile

    /// Reads and parses `path`.
    /// - Throws: `ValidationError` saying why the file cannot be used.
    public init(path: String) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ValidationError("--map \(path): cannot read the file (expected a UTF-8 JSON mapping file)")
        }
        do { map = try MapFile(text: text, file: path) } catch { throw ValidationError("--map \(error)") }
    }
}

/// Parses `N` or `HxW` (e.g. `224`, `384x576`) into [height, width].
public func parseImageSize(_ text: String) -> [Int]? {
    let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
    let values = parts.compactMap { Int($0) }
    guard values.count == parts.count, values.allSatisfy({ $0 > 0 }) else { return nil }
    switch values.count {
    case 1: return [values[0], values[0]]
    case 2: return values
    default: return nil
    }
}

/// An image size given as `N` or `HxW`.
public struct ImageSizeArgument: ExpressibleByArgument, Sendable {
    /// [height, width].
    public let value: [Int]
    public init?(argument: String) {
        guard let v = parseImageSize(argument) else { return nil }
        value = v
    }
    public static var defaultValueDescription: String { "N or HxW" }
}

/// Options every tool shares for reading a checkpoint into the canonical layout.
public struct MappingArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Force a naming convention instead of detecting it.",
                               discussion: "One of: " + Convention.allCases.map(\.rawValue).joined(separator: ", ")))
    public var convention: Convention?

    @Option(help: "Attention heads, when the checkpoint does not record them (else head dim 64 is assumed).")
    public var heads: Int?

    @Option(name: .customLong("source-image-size"),
            help: "The checkpoint's image size (N or HxW), when its metadata does not say and the grid is not square.")
    public var sourceImageSize: ImageSizeArgument?

    @Option(help: "Input channels, for a Linear patch embedding whose patch length does not say (default 3).")
    public var channels: Int?

    @Option(name: .customLong("eps"), help: "LayerNorm epsilon, overriding metadata and the convention's default.")
    public var layerNormEps: Double?

    @Flag(help: "Drop source tensors that have no canonical place (e.g. a Hugging Face pooler) instead of failing.")
    public var allowUnused = false

    @Option(name: .customLong("map"), help: ArgumentHelp(
        "A mapping file (JSON) placing tensors the structure cannot place.",
        discussion: "Patterns with {i} for the block index -> canonical names; schema in docs/conventions.md."),
            transform: { try MapFileArgument(path: $0) })
    public var mapFile: MapFileArgument?

    @Option(name: .customLong("patch-order"),
            help: "Flattening order of a Linear patch embedding: cpp (nn.Unfold, PyTorch's) or ppc (einops (p1 p2 c)).")
    public var patchOrder: PatchOrder?

    @Option(name: [.customLong("activation"), .customLong("act")], help: ArgumentHelp(
        "The MLP activation, when the checkpoint does not say: gelu, gelu_tanh, quick_gelu, swiglu, relu.",
        discussion: "E.g. gelu for a LAION-trained open_clip model in the OpenAI layout."))
    public var activation: ViTConfig.Activation?

    @Option(name: .customLong("head-act"),
            help: "Activation after a hidden-layer classifier's first Linear: gelu or tanh (the weights cannot show it).")
    public var headActivation: ViTConfig.PreLogitsActivation?

    @Option(name: .customLong("interpolate"), help: ArgumentHelp(
        "Run-time position-embedding interpolation for another input size: "
            + ViTConfig.PosEmbedRule.allCases.map(\.rawValue).joined(separator: ", ") + ".",
        discussion: "Default: the rule of the source library (recorded in converted files). bicubic_antialias: timm, "
            + "HF Dinov2WithRegisters, DINOv2 with registers; bicubic: HF interpolate_pos_encoding; dinov2_offset: "
            + "original DINOv2 without registers; bilinear: big_vision / timm's .npz loader."))
    public var interpolate: ViTConfig.PosEmbedRule?

    public init() {}

    public func validate() throws {
        if let h = heads, h <= 0 { throw ValidationError("--heads must be positive, found \(h)") }
        if let c = channels, c <= 0 { throw ValidationError("--channels must be positive, found \(c)") }
        if let e = layerNormEps, !(e > 0) { throw ValidationError("--eps must be positive, found \(e)") }
    }

    /// The mapping options these flags describe.
    public var options: MappingOptions {
        var o = MappingOptions(convention: convention, heads: heads, imageSize: sourceImageSize?.value, inChannels: channels,
                               layerNormEps: layerNormEps, allowUnused: allowUnused)
        o.patchOrder = patchOrder
        o.preLogitsActivation = headActivation
        o.activation = activation
        o.posEmbedRule = interpolate
        o.mapFile = mapFile?.map
        o.mapFileName = mapFile?.path
        return o
    }
}
