import Foundation
import Testing
import ViTTensor
@testable import ViTHDF5

@Suite("HDF5 read timing")
struct HDF5TimingTests {
    /// Times reading every tensor of the file named by VITKIT_HDF5_BENCH (e.g. a ~350 MB ViT-B f32 file
    /// from tools/make_bench_checkpoints.py) against a plain read of the whole file.
    @Test("reading every tensor of a large file runs near plain-read speed",
          .enabled(if: ProcessInfo.processInfo.environment["VITKIT_HDF5_BENCH"] != nil))
    func readEverything() throws {
        let path = try #require(ProcessInfo.processInfo.environment["VITKIT_HDF5_BENCH"])
        let clock = ContinuousClock()
        var raw = 0
        let plain = clock.measure {
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 24, alignment: 64)
            defer { buffer.deallocate() }
            while case let n = read(fd, buffer, 1 << 24), n > 0 { raw += n }
        }
        for round in 0..<3 {
            var bytes = 0
            let h5 = try HDF5File(path: path)
            let tensors = try clock.measure {
                for info in h5.tensorInfos { bytes += try h5.tensor(named: info.name).byteCount }
            }
            var floats = 0
            let float32 = try clock.measure {
                for info in h5.tensorInfos { floats += try h5.readFloat32(named: info.name).count }
            }
            print("round \(round): plain read \(raw / 1_000_000) MB in \(plain); tensor(named:) \(bytes / 1_000_000) MB in \(tensors); readFloat32 \(floats * 4 / 1_000_000) MB in \(float32)")
            #expect(bytes > 0)
        }
    }
}
