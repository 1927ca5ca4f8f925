import ArgumentParser
import ViTCLI
import ViTFormats
import ViTInspect
import ViTMapping
import ViTModel
import ViTTensor

/// `vit-summary`: what a ViT checkpoint holds, from its headers alone (or its values, with `--stats`),
/// and whether two checkpoints hold the same model (`--diff`).
@main
struct VitSummary: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vit-summary",
        abstract: "Summarise a ViT checkpoint (any convention, any format) without loading its weights.",
        discussion: """
            Reads only headers and metadata unless --stats or --diff is given. Reads \
            \(CheckpointFormat.readableDescription).
            Exit status: 0 success, 1 error, 64 usage error. With --diff: 0 equal, 1 different, 2 error.
            """)

    @Argument(help: "The checkpoint: a file, an *.safetensors.index.json, or a folder.")
    var input: String

    @Option(help: "Deepest layer level to list (0 = the model only, 4 = every module).")
    var depth = 3

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @Flag(help: "Read every tensor and add min, max, mean, std and NaN/Inf/zero counts (warns on stderr).")
    var stats = false

    @Option(help: ArgumentHelp("Compare with another checkpoint after mapping both to canonical names.",
                               valueName: "other"))
    var diff: String?

    @Option(help: "Largest |difference| counted as equal under --diff (default: 0: equal values).")
    var tolerance: Double?

    @Option(name: .customLong("image-size"), help: "Image size to run the model at (N or HxW; default: the stored size).")
    var imageSize: ImageSizeArgument?

    @Option(help: "Batch size for output shapes and counts.")
    var batch = 1

    @Flag(help: "List the raw tensors (name, dtype, shape, bytes) and where each maps, like h5ls; works when mapping fails.")
    var tensors = false

    @Option(name: .customLong("suggest-map"), help: ArgumentHelp(
        "Write a mapping file (JSON) for --map: every tensor placed so far, \"?\" for the rest.", valueName: "out"))
    var suggestMap: String?

    @Flag(help: "Overwrite the --suggest-map file if it exists.")
    var force = false

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Draw a figure from the weights: pos-embed OUT.png or patch-filters OUT.png.",
                                                         valueName: "kind> <out.png"))
    var plot: [String] = []
    @Option(name: .customLong("plot-data"), help: "With --plot: write the figure's numbers here (.json or .npy).")
    var plotData: String?
    @OptionGroup var mapping: MappingArguments

    func validate() throws {
        if !plot.isEmpty && plot.count != 2 { throw ValidationError("--plot takes a kind and a file: --plot pos-embed OUT.png") }
        if plotData != nil && plot.isEmpty { throw ValidationError("--plot-data needs --plot") }
        guard depth >= 0 else { throw ValidationError("--depth must be 0 or more, found \(depth)") }
        guard batch > 0 else { throw ValidationError("--batch must be positive, found \(batch)") }
        if let t = tolerance {
            guard diff != nil else { throw ValidationError("--tolerance needs --diff") }
            guard t >= 0, t.isFinite else { throw ValidationError("--tolerance must be a finite number ≥ 0, found \(t)") }
        }
        if diff != nil && stats { throw ValidationError("--stats and --diff cannot be combined") }
        if tensors && (diff != nil || stats || json) { throw ValidationError("--tensors cannot be combined with --diff, --stats or --json") }
    }

    func run() throws {
        if let other = diff { return try runDiff(other) }
        let source = try CheckpointOpener.open(input)
        if let out = suggestMap { try writeSuggestion(source, to: out) }
        if tensors { return try listTensors(source) }
        if plot.count == 2 {
            let canonical = try ViTMapper.loadCanonical(source, options: mapping.options)
            return try SummaryPlots.run(kind: plot[0], output: plot[1], data: plotData, checkpoint: canonical, file: source.path)
        }
        let result = try ViTMapper.plan(source, options: mapping.options)
        let dtypes = Self.dtypeCounts(result.plan)
        let summary = try ViTSummary(config: result.config, batch: batch, imageSize: imageSize?.value,
                                     parameterDType: dtypes.count == 1 ? dtypes[0].0 : .f32)
        var statistics: [TensorStatistics]?
        if stats {
            statistics = try CheckpointStatistics.compute(source) { s in
                if let w = s.warning(file: source.path) { printError(w) }
            }
        }
        if json {
            let doc = InspectionDocument(file: source.path, format: source.formatName, report: result.report,
                                         summary: summary, stats: statistics)
            print(try doc.jsonString(pretty: true))
            return
        }
        var out = summaryHead(file: source.path, format: source.formatName, result: result, summary: summary,
                              dtypes: dtypes).joined(separator: "\n") + "\n"
        out += summary.render(depth: depth)
        if let statistics { out += TensorStatistics.table(statistics) }
        print(out, terminator: "")
    }

    /// `--diff`: exit 0 when equal, 1 when different, 2 when either checkpoint cannot be read or mapped.
    func runDiff(_ other: String) throws {
        let comparison: CheckpointDiff
        do {
            let a = try CheckpointOpener.open(input)
            let planA = try ViTMapper.plan(a, options: mapping.options)
            let b = try CheckpointOpener.open(other)
            var optionsB = mapping.options
            optionsB.convention = nil  // --convention describes IN; OTHER's is detected
            let planB = try ViTMapper.plan(b, options: optionsB)
            comparison = try CheckpointComparer.compare(a, planA, b, planB, tolerance: tolerance ?? 0)
            print(json ? try comparison.jsonString(pretty: true) : comparison.render(), terminator: json ? "\n" : "")
        } catch {
            printError("Error: \(error)")
            throw ExitCode(2)
        }
        if !comparison.isEqual { throw ExitCode(1) }
    }

    /// `--tensors`: every stored tensor with its dtype, shape and bytes, and its canonical name when mapping works.
    func listTensors(_ source: TensorSource) throws {
        var canonical: [String: String] = [:]
        var failure: String?
        do {
            var options = mapping.options
            options.allowUnused = true
            let r = try ViTMapper.plan(source, options: options)
            for e in r.plan.entries { for s in e.sources { canonical[s] = canonical[s].map { $0 + ", " + e.canonicalName } ?? e.canonicalName } }
        } catch { failure = "\(error)" }
        let rows = source.tensorInfos.map { i in
            [i.name, i.dtype.rawValue, Shape.describe(i.shape), String(i.byteCount), canonical[i.name] ?? "-"]
        }
        let header = ["name", "dtype", "shape", "bytes", "canonical"]
        var widths = header.map(\.count)
        for r in rows { for (k, c) in r.enumerated() { widths[k] = max(widths[k], c.count) } }
        func line(_ r: [String]) -> String {
            r.enumerated().map { k, c in k == r.count - 1 ? c : c.padding(toLength: widths[k], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        var out = "file: \(source.path)\nformat: \(source.formatName)\n\(rows.count) tensors\n" + line(header) + "\n"
        out += rows.map(line).joined(separator: "\n") + "\n"
        print(out, terminator: "")
        if let failure { printError("note: the tensors do not map yet:\n\(failure)") }
    }

    /// `--suggest-map OUT`: the mapping file to fill in, written atomically.
    func writeSuggestion(_ source: TensorSource, to path: String) throws {
        var context = try SourceContext(source: source)
        context.registrationOrder = source.keepsRegistrationOrder
        let text = MapSuggestion.json(source.tensorInfos, context: context, options: mapping.options)
        let file = try AtomicFile(destination: path, overwrite: force)
        try file.write(Array(text.utf8))
        try file.commit()
        printError("wrote \(path): fill in each \"?\" with a canonical name or \"drop\", then pass --map \(path)")
    }

    /// The stored dtypes of the canonical tensors with their counts, most common first.
    static func dtypeCounts(_ plan: MappingPlan) -> [(DType, Int)] {
        var counts: [DType: Int] = [:]
        for e in plan.entries { counts[e.dtype, default: 0] += 1 }
        return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.rawValue < $1.key.rawValue }
            .map { ($0.key, $0.value) }
    }
}
