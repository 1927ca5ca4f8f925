import ArgumentParser
import ViTCLI
import ViTConvert
import ViTFormats
import ViTMapping
import ViTModel
import ViTTensor
#if canImport(Glibc)
import Glibc
#endif

extension PosEmbedInterpolation: ExpressibleByArgument {}

/// An output dtype given as `f32`, `f16` or `bf16`.
struct OutputDType: ExpressibleByArgument {
    let value: DType
    init?(argument: String) {
        guard let d = DType(shortName: argument), [.f32, .f16, .bf16].contains(d) else { return nil }
        value = d
    }
    static var allValueStrings: [String] { ["f32", "f16", "bf16"] }
}

/// `vit-convert IN OUT`: converts any checkpoint ViTKit reads to the canonical layout.
@main
struct VitConvert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vit-convert",
        abstract: "Convert a ViT checkpoint to the canonical timm layout as .bin, .safetensors or .h5.",
        discussion: """
            IN is any checkpoint ViTKit reads: \(CheckpointFormat.readableDescription). \
            The extension of OUT picks the format: .bin (ViTKit native), .safetensors (loads into timm with \
            strict=True), .h5 (flat HDF5). The model config is embedded in every output. OUT is written to a \
            temporary file and renamed into place only when complete.
            """)

    @Argument(help: "The checkpoint to read (a file or a folder).") var input: String
    @Argument(help: "The file to write: .bin, .safetensors or .h5.") var output: String

    @Option(help: "Resize the position embedding for a new image size (N or HxW; a whole number of patches).")
    var imageSize: ImageSizeArgument?
    @Option(help: "Interpolation for --image-size.") var interpolation: PosEmbedInterpolation?
    @Flag(help: "Antialias when resizing (with bicubic: what timm does when it loads a checkpoint at a new size).")
    var antialias = false
    @Option(help: "Store every tensor as f32, f16 or bf16 (default: as stored; f64 becomes f32).")
    var dtype: OutputDType?
    @Flag(name: [.short, .long], help: "Replace OUT if it exists.") var force = false
    @Flag(name: [.short, .long], help: "Print nothing on success.") var quiet = false
    @OptionGroup var mapping: MappingArguments

    func validate() throws {
        if imageSize == nil && (interpolation != nil || antialias) {
            throw ValidationError("--interpolation and --antialias apply only with --image-size")
        }
    }

    func run() throws {
        let cancellation = Cancellation()
        let signals = SignalHandling(cancellation)
        defer { _ = signals }
        let request = ConversionRequest(
            input: input, output: output, mapping: mapping.options,
            resize: imageSize.map { ResizeRequest(imageSize: $0.value, method: ResampleMethod(mode: interpolation ?? .bicubic, antialias: antialias)) },
            dtype: dtype?.value, overwrite: force, cancellation: cancellation)
        let bar = ProgressBar(enabled: !quiet && isatty(2) != 0)
        let report: ConversionReport
        do {
            report = try Converter.convert(request) { bar.update($0) }
        } catch {
            bar.clear()
            // The temporary output is already removed (and, for HDF5, closed: the writer reserves its file
            // before writing) by then; a cancellation exits 130 like a shell's SIGINT, anything else 1.
            printError("Error: \(error)")
            if case ConvertError.cancelled = error { throw ExitCode(130) }
            throw ExitCode.failure
        }
        bar.clear()
        guard !quiet else { return }
        for line in describe(report.mapping) where report.mapping.headsSource == .assumedHeadDim64 || line.hasPrefix("note") {
            printError(line)
        }
        print(report.summary)
        if let r = report.resize { print("resized \(r.text)") }
    }
}
