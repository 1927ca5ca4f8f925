import Foundation
import Testing
import ViTTensor
@testable import ViTHDF5

/// A small seeded generator (SplitMix64): the same damaged files on every run.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
}

/// The damage a file suffers: flipped bytes, a truncation, or a size / address field overwritten.
enum Mutation {
    /// Damages `bytes` in place, mostly in the first `window` bytes (where HDF5's metadata lives).
    static func damage(_ bytes: inout [UInt8], rng: inout SplitMix64, window: Int) {
        guard !bytes.isEmpty else { return }
        let span = max(1, min(window, bytes.count))
        switch rng.below(3) {
        case 0:
            for _ in 0...rng.below(4) { bytes[rng.below(span)] ^= UInt8(1 << rng.below(8)) }
        case 1:
            bytes.removeLast(bytes.count - rng.below(bytes.count))
        default:
            let at = rng.below(span) & ~7
            let values: [UInt64] = [.max, 1 << 62, UInt64(rng.below(1 << 30)), 0, UInt64(bytes.count) * 2]
            let v = values[rng.below(values.count)]
            for k in 0..<8 where at + k < bytes.count { bytes[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
        }
    }
}

/// What reading one damaged file gave.
enum MutationOutcome: Equatable {
    case read, refused, crashed, stalled
}

/// Opens `path`, reads every tensor and the attributes of every object; reports how it ended and the
/// error, if any.
func readEverything(_ path: String, watchdog: Int) -> (MutationOutcome, HDF5Error?) {
    do {
        let h5 = try HDF5File(path: path, reader: ReaderOptions(inProcess: false, executable: nil, watchdogSeconds: watchdog))
        for name in h5.tensorNames { _ = try h5.tensor(named: name) }
        for object in h5.groups + h5.datasets.map(\.path) { _ = try h5.attributes(of: object) }
        return (.read, nil)
    } catch {
        switch error {
        case .readerCrashed: return (.crashed, error)
        case .readerStalled: return (.stalled, error)
        default: return (.refused, error)
        }
    }
}

@Suite("HDF5 mutation: damaged fixtures never crash or hang the caller")
struct HDF5MutationTests {
    static let fixtures = ["flat.h5", "nested.h5", "chunked_gzip.h5", "big_endian.h5", "f16.h5", "bf16_opaque.h5",
                           "bf16_uint16.h5", "userblock.h5", "keras_legacy_like.h5", "scalars.h5", "ints_bools.h5",
                           "libver_v110.h5", "keras3_legacy.h5", "keras3_mixed.weights.h5"]

    /// 320 damaged copies (seed 2026), each opened and read whole through the isolated reader. Every
    /// error must name the file; the counts are printed (docs/RELIABILITY.md has the large run's).
    @Test("320 damaged copies of the fixtures: every one ends, with its tensors or an error naming the file")
    func damagedFixtures() throws {
        let folder = temporaryPath("-mutations")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var rng = SplitMix64(seed: 2026)
        var counts: [MutationOutcome: Int] = [:]
        for i in 0..<320 {
            let source = Self.fixtures[i % Self.fixtures.count]
            var bytes = try [UInt8](Data(contentsOf: hdf5Fixtures.appendingPathComponent(source)))
            Mutation.damage(&bytes, rng: &rng, window: 4096)
            let path = folder + "/\(i)-\(source)"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let (outcome, error) = readEverything(path, watchdog: 5)
            counts[outcome, default: 0] += 1
            if let error { #expect(error.description.hasPrefix("\(path): "), "\(error)") }
        }
        print("HDF5 mutation: read \(counts[.read] ?? 0), refused \(counts[.refused] ?? 0), "
              + "reader crashed \(counts[.crashed] ?? 0), reader stalled \(counts[.stalled] ?? 0)")
        #expect(counts.values.reduce(0, +) == 320)
    }
}
