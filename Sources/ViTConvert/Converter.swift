#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ViTFormats
import ViTMapping
import ViTModel
import ViTTensor

/// Converts any checkpoint ViTKit reads into the canonical layout, as `.bin`, `.safetensors` or `.h5`.
///
/// The conversion streams: it plans from headers, then for each canonical tensor either copies it from
/// the input file through one small buffer (when its bytes are stored runs the format can read
/// piecewise and no dtype change or permutation is asked: `StoredLayout`), or materialises it (a view
/// into the file when the input is memory-mapped and no transform is needed), converts its dtype if
/// asked, writes it and drops it, so memory stays near the largest tensor built. The output goes to a
/// temporary file in its folder that is synced and renamed into place only when complete: a failure,
/// a cancellation or a kill never leaves a partial output, and the input is only ever read.
public enum Converter {
    /// Runs one conversion.
    /// - Parameters:
    ///   - request: input, output, mapping options, resize, dtype, overwrite and cancellation.
    ///   - progress: called after each tensor is written (on the calling thread).
    /// - Returns: what was written.
    /// - Throws: `ConvertError` for the conversion's own rules, checked in this order before anything is
    ///   read: the output extension, the input (missing, unreadable), output == input, the output folder,
    ///   an existing output; then output == one of the input's shards, the free space (`.notEnoughSpace`);
    ///   `.cancelled`. Errors of opening,
    ///   mapping, resizing and writing pass through unchanged (`FormatError`, `MappingError`, ...).
    public static func convert(_ request: ConversionRequest, progress: ((ConversionProgress) -> Void)? = nil) throws -> ConversionReport {
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try OutputFormat(path: request.output)
        try PathChecks.checkInput(request.input)
        try PathChecks.checkNotInput(request.output, inputs: [request.input], input: request.input)
        try PathChecks.checkOutput(request.output, overwrite: request.overwrite)
        let source = try InputOpener.open(request.input)
        return try convert(request, from: source, progress: progress, startedAt: start)
    }

    /// Runs one conversion from a checkpoint that is already open (e.g. a source assembled in memory).
    /// - Parameters:
    ///   - request: as for `convert(_:progress:)`; `request.input` names the source in messages and metadata.
    ///   - source: the checkpoint to read.
    ///   - progress: called after each tensor is written.
    /// - Returns: what was written.
    /// - Throws: as `convert(_:progress:)`, except the checks of the input path itself.
    public static func convert(_ request: ConversionRequest, from source: TensorSource,
                               progress: ((ConversionProgress) -> Void)? = nil) throws -> ConversionReport {
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try OutputFormat(path: request.output)
        try PathChecks.checkNotInput(request.output, inputs: [request.input], input: request.input)
        try PathChecks.checkOutput(request.output, overwrite: request.overwrite)
        return try convert(request, from: source, progress: progress, startedAt: start)
    }

    private static func convert(_ request: ConversionRequest, from opened: TensorSource,
                                progress: ((ConversionProgress) -> Void)?, startedAt start: UInt64) throws -> ConversionReport {
        let format = try OutputFormat(path: request.output)
        try PathChecks.checkNotInput(request.output, inputs: PathChecks.files(of: opened), input: request.input)
        let mapped = try ViTMapper.plan(opened, options: request.mapping)
        let plan = try OutputPlan(mapped, request: request, format: format)
        var metadata = OutputMetadata.entries(for: format, config: plan.config, convention: mapped.report.convention,
                                              input: request.input, resize: plan.resize)
        if plan.resize == nil, let p = OutputMetadata.preprocessing(of: opened, input: request.input, config: plan.config,
                                                                    convention: mapped.report.convention) {
            metadata[OutputMetadata.preprocessingKey] = p
        }
        if request.cancellation?.isCancelled == true { throw ConvertError.cancelled(output: request.output) }
        try PathChecks.checkSpace(request.output, bytes: plan.totalBytes)

        let writer = try OutputWriter(format: format, path: request.output, tensors: plan.items.map(\.info),
                                      configJSON: plan.config.jsonString(), metadata: metadata, overwrite: request.overwrite)
        let source = PageReleasingSource(opened, populatingReads: true)
        let total = plan.totalBytes
        var done = 0
        for (i, item) in plan.items.enumerated() {
            if request.cancellation?.isCancelled == true { throw ConvertError.cancelled(output: request.output) }
            if writer.streams, let layout = try plan.storedLayout(item, from: source) {
                try writer.write(item.info, from: layout.read)
            } else {
                let tensor = try plan.build(item, from: source)
                try writer.write(tensor, named: item.info.name)
                source.releaseHandedOut()
            }
            done += item.info.byteCount
            progress?(ConversionProgress(tensorsDone: i + 1, tensorCount: plan.items.count, bytesDone: done,
                                         totalBytes: total, tensor: item.info.name))
        }
        if request.cancellation?.isCancelled == true { throw ConvertError.cancelled(output: request.output) }
        let syncStart = DispatchTime.now().uptimeNanoseconds
        try writer.finish()
        let end = DispatchTime.now().uptimeNanoseconds

        var st = stat()
        let size = stat(request.output, &st) == 0 ? Int(st.st_size) : 0
        return ConversionReport(input: request.input, output: request.output, format: format, config: plan.config,
                                mapping: mapped.report, tensorCount: plan.items.count, bytesWritten: size,
                                dtypes: Array(Set(plan.items.map(\.info.dtype))).sorted { $0.safetensorsOrder > $1.safetensorsOrder },
                                resize: plan.resize, metadata: metadata,
                                seconds: Double(end - start) / 1e9, syncSeconds: Double(end - syncStart) / 1e9)
    }
}
