import ArgumentParser
import Foundation
import ViTCLI
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
