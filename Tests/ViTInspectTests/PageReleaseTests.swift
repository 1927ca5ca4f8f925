import Foundation
import Testing
import ViTSafetensors
import ViTTensor
@testable import ViTInspect

/// Resident KiB of the mapping that contains `address`, from /proc/self/smaps (0 when not found).
func residentKiB(ofMappingAt address: UnsafeRawPointer) throws -> Int {
    // /proc files report size 0: read to the end rather than by size.
    let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
    defer { try? handle.close() }
    let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    let target = UInt(bitPattern: Int(bitPattern: address))
    var inside = false
    for line in text.split(separator: "\n") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard let first = fields.first else { continue }
        if first.contains("-") && !first.hasSuffix(":") {
            let bounds = first.split(separator: "-").compactMap { UInt($0, radix: 16) }
            inside = bounds.count == 2 && bounds[0] <= target && target < bounds[1]
        } else if inside && first == "Rss:", fields.count >= 2, let kib = Int(fields[1]) {
            return kib
        }
    }
    return 0
}

@Suite("streaming keeps memory near one tensor")
struct PageReleaseTests {
    @Test("after --stats over a memory-mapped file its pages are no longer resident; reading without releasing keeps them")
    func statsGiveBackPages() throws {
        let dir = NSTemporaryDirectory() + "vitkit-pages-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/big.safetensors"
        let n = 1 << 20  // 4 MiB of F32 per tensor
        let values = (0..<n).map { Float($0 % 1000) }
        let tensors = try (0..<4).map { ("t\($0)", try Tensor(shape: [n], float32: values)) }
        try SafetensorsWriter.write(tensors: tensors, to: path)

        let file = try SafetensorsFile(path: path)
        let base = try #require(try file.tensor(named: "t0").storage.base)
        let stats = try CheckpointStatistics.compute(file)
        #expect(stats.map(\.name) == ["t0", "t1", "t2", "t3"])
        #expect(stats[0].max == 999)
        let left = try residentKiB(ofMappingAt: base)
        #expect(left < 256, "resident after the statistics: \(left) KiB")

        // Control: the same reads without giving pages back leave the data resident.
        let again = try SafetensorsFile(path: path)
        let t = try again.tensor(named: "t2")
        let base2 = try #require(t.storage.base)
        _ = TensorStatistics(of: t, name: "t2")
        let touched = try residentKiB(ofMappingAt: base2)
        #expect(touched >= 4096, "resident after reading 4 MiB: \(touched) KiB")
        MappedPages.release(t)
        // What stays is the header and the fault-around margins (up to 64 KiB) of the neighbours.
        let after = try residentKiB(ofMappingAt: base2)
        #expect(after < 256, "resident after releasing: \(after) KiB")
    }
}
