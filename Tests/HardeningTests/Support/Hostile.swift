import Foundation
import Testing
import ViTBin

/// True when this process runs under AddressSanitizer or ThreadSanitizer (their runtimes export these).
let underSanitizer: Bool = dlsym(nil, "__asan_init") != nil || dlsym(nil, "__tsan_init") != nil

/// Time limit for refusing a hostile file: 1 s (parsing takes milliseconds; the 100 MB headers a few
/// hundred), ten times that in a sanitizer build, whose checks slow every memory access.
let refusalSeconds = underSanitizer ? 10.0 : 1.0
/// Bound on a replayer's peak-RSS growth over its run on a small valid file, for hostile headers
/// whose claims (exabytes) would be fatal if believed. Generous: the run maps a file of a few bytes.
let hostileRSSBoundKiB = 32 * 1024

/// True when RSS bounds are checked: not in a sanitizer build, whose allocator keeps freed memory in
/// quarantine (256 MB by default) and pads every allocation with redzones.
let checksRSS = !underSanitizer

/// Peak RSS (KiB) of the replayer `tool` on a small valid file: the baseline for growth checks.
func baselineRSSKiB(_ tool: String) throws -> Int {
    let valid: String
    switch tool {
    case "fuzz-safetensors": valid = "safetensors/seeds/f32.safetensors"
    case "fuzz-bin": valid = "bin/seeds/tiny.bin"
    default: valid = "npy/seeds/f32_v1.npy"
    }
    let run = try runChild(product(tool), [fuzzCorpus.appendingPathComponent(valid).path])
    #expect(run.succeeded && run.stdout.contains(", read "), "\(tool) baseline: \(run.stdout) \(run.stderr)")
    return try #require(run.reportedPeakRSSKiB, "\(tool) reported no peak RSS: \(run.stderr)")
}

/// Runs the replayer `tool` (which maps the file as the library does) on `file` in a fresh process and
/// checks that it is refused in under `refusalSeconds`, with a message naming the file, and that the
/// process's peak RSS grows by less than `boundKiB` over `baselineKiB`.
func expectRefusedCheaply(_ tool: String, _ file: String, baselineKiB: Int, boundKiB: Int = hostileRSSBoundKiB,
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
    let run = try runChild(product(tool), [file])
    reportCost(file, run, baselineKiB: baselineKiB)
    #expect(run.succeeded, "\(tool) \(file): \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stdout.hasPrefix("\(file): ") && run.stdout.contains(", refused: \(file)"),
            "expected a refusal naming the file, got: \(run.stdout)", sourceLocation: sourceLocation)
    #expect(run.seconds < refusalSeconds, "\(tool) took \(run.seconds) s", sourceLocation: sourceLocation)
    let peak = run.reportedPeakRSSKiB ?? Int.max
    #expect(!checksRSS || peak - baselineKiB < boundKiB, "peak RSS \(peak) KiB vs baseline \(baselineKiB) KiB",
            sourceLocation: sourceLocation)
}

/// A ViTKit `.bin` file with one tensor entry described by raw header fields (whatever they claim) and
/// valid checksums, so the reader's structural checks are what refuse it.
func binFile(tensorCount: UInt32 = 1, name: String = "w", dtype: String = "F32", shape: [UInt64], offset: UInt64? = nil,
             byteLength: UInt64) -> [UInt8] {
    var header = le32(tensorCount) + le32(0) + [0]
    header += le32(UInt32(name.utf8.count)) + Array(name.utf8) + le32(UInt32(dtype.utf8.count)) + Array(dtype.utf8)
    header += le32(UInt32(shape.count)) + shape.flatMap(le64)
    let headerEnd = BinFormat.preambleSize + header.count + 8 * 2
    let dataStart = (headerEnd + 8 + 63) / 64 * 64
    header += le64(offset ?? UInt64(dataStart)) + le64(byteLength)
    var bytes = BinFormat.magic + le32(BinFormat.version) + le32(0) + le64(UInt64(header.count)) + header
    bytes += le64(XXHash64.hash(bytes))
    bytes += [UInt8](repeating: 0, count: (64 - bytes.count % 64) % 64)
    bytes += le64(XXHash64.hash(bytes)) + BinFormat.endMagic
    return bytes
}

/// Prints one line with the measured cost of a replayer run (collected into docs/RELIABILITY.md).
func reportCost(_ file: String, _ run: ChildRun, baselineKiB: Int) {
    let name = file.split(separator: "/").last.map(String.init) ?? file
    let growth = Double((run.reportedPeakRSSKiB ?? 0) - baselineKiB) / 1024
    print("hostile-cost \(name): \(String(format: "%.3f", run.seconds)) s, peak RSS \(String(format: "%+.1f", growth)) MiB")
}
