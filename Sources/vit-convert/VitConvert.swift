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
extension ExportLayout: ExpressibleByArgument {}

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
        abstract: "Convert a ViT checkpoint to the canonical timm layout (.bin, .safetensors, .h5) or export it for timm, transformers, torchvision or ONNX Runtime.",
        discussion: """
            IN is any checkpoint ViTKit reads: \(CheckpointFormat.readableDescription). \
            Without --to, the extension of OUT picks the format: .bin (ViTKit native), .safetensors (loads into timm \
            with strict=True), .h5 (flat HDF5), .onnx (an ONNX graph). The model config is embedded in every output. \
            With --to LAYOUT the model is written as that library loads it: timm (a folder), hf (a folder), \
            torchvision (OUT.pth or OUT.safetensors), onnx (OUT.onnx); a model the layout cannot hold is refused with \
            the feature and the layouts that can (see --list-layouts). OUT is written to a temporary file or folder \
            and renamed into place only when complete.
            """)

    @Argument(help: "The checkpoint to read (a file or a folder).") var input: String?
    @Argument(help: "The file or folder to write: .bin, .safetensors, .h5, .onnx; a folder for --to timm/hf.") var output: String?
    @Option(help: "Export for a library: \(ExportLayout.allCases.map(\.rawValue).joined(separator: ", ")).")
    var to: ExportLayout?
    @Flag(help: "Print what each export layout can hold, and exit.") var listLayouts = false

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
        if listLayouts { return }
        guard input != nil, output != nil else { throw ValidationError("give IN and OUT (or --list-layouts)") }
        if (to != nil || output.flatMap(ExportRequest.impliedLayout(of:)) != nil) && imageSize != nil {
            throw ValidationError("--image-size applies to .bin/.safetensors/.h5 conversions; resize first, then export")
        }
        if imageSize == nil && (interpolation != nil || antialias) {
            throw ValidationError("--interpolation and --antialias apply only with --image-size")
        }
    }

    func run() throws {
        if listLayouts {
            print(CapabilityTable.text())
            return
        }
        guard let input, let output else { return }
        if let layout = to ?? ExportRequest.impliedLayout(of: output) {
            try runExport(input: input, output: output, layout: layout)
            return
        }
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

extension VitConvert {
    /// `--to LAYOUT` (or an `.onnx` output): export for a library.
    func runExport(input: String, output: String, layout: ExportLayout) throws {
        let cancellation = Cancellation()
        let signals = SignalHandling(cancellation)
        defer { _ = signals }
        let request = ExportRequest(input: input, output: output, layout: layout, mapping: mapping.options,
                                    dtype: dtype?.value, overwrite: force, cancellation: cancellation)
        let report: ExportReport
        do {
            report = try Exporter.export(request)
        } catch {
            printError("Error: \(error)")
            fflush(nil)
            if case ConvertError.cancelled = error { _exit(130) }
            _exit(1)
        }
        guard !quiet else { return }
        for line in describe(report.mapping) where line.hasPrefix("note") { printError(line) }
        for note in report.notes { printError("note: \(note)") }
        print(report.summary)
    }
}
