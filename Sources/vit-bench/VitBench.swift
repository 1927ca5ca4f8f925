import ArgumentParser
import Foundation
import ViTFormats
import ViTTensor

/// Benchmarks for docs/PERFORMANCE.md. Each subcommand prints one line `name median_ms=<x> min_ms=<y> ...`.
@main
struct VitBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vit-bench",
        abstract: "Benchmarks ViTKit (results go to docs/PERFORMANCE.md).",
        subcommands: [ReadBench.self, ForwardBench.self, PreprocessBench.self])
}

/// Times `body` `repeat` times after one warm-up; returns (median, min) in milliseconds.
func measure(times count: Int, _ body: () throws -> Void) rethrows -> (median: Double, min: Double) {
    try body()
    var times: [Double] = []
    for _ in 0..<max(1, count) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
    }
    times.sort()
    return (times[times.count / 2], times[0])
}

struct ReadBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read", abstract: "Open a checkpoint and read every tensor into Float32 buffers.")

    @Argument(help: "A checkpoint (safetensors, HDF5, .bin).") var path: String
    @Option(name: .customLong("repeat"), help: "Timed repetitions after one warm-up.") var repetitions = 5

    func run() throws {
        var checksum: Float = 0
        var total = 0
        let (med, mn) = try measure(times: repetitions) {
            let source = try CheckpointOpener.open(path)
            total = 0
            for info in source.tensorInfos {
                let t = try source.tensor(named: info.name)
                // A Float32 tensor the reader already decoded into memory (HDF5) is the buffer;
                // a view into a mapped file (safetensors, .bin) or another dtype is copied/converted.
                if t.dtype == .f32 && !t.isMapped {
                    checksum += t.withUnsafeBytes { $0.isEmpty ? 0 : $0.load(as: Float.self) }
                } else {
                    checksum += t.floats().first ?? 0
                }
                total += t.elementCount
            }
        }
        print(String(format: "vitkit-read median_ms=%.2f min_ms=%.2f floats=%d check=%g", med, mn, total, checksum))
    }
}
