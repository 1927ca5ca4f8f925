import Foundation
import Testing
import ViTTensor
import ViTZip
import ViTZipTestSupport
@testable import ViTTorch
import ViTTestSupport

/// The `data.pkl` of a torch fixture.
func fixturePickle(_ file: String) throws -> [UInt8] {
    let zip = try ZipArchive(path: sourcesFixture("torch/\(file)"))
    let entry = try #require(zip.entries.first { $0.name.hasSuffix("/data.pkl") })
    return try zip.contents(of: entry).array
}

@Suite("the unpickler under mutation")
struct UnpicklerFuzzTests {
    @Test("20,000 mutated state-dict pickles each parse or throw PickleError/TorchError; none crashes or hangs")
    func fuzz() throws {
        let seeds = try ["views.pth", "dtypes.pth", "wrapped.pth", "parameters.pth", "ema.pth", "evil.pth"].map(fixturePickle)
        var rng = SplitMix64(seed: 20_000)
        var parsed = 0, refused = 0
        let clock = ContinuousClock()
        let start = clock.now
        for i in 0..<20_000 {
            let bytes = mutate(seeds[i % seeds.count], rng: &rng)
            // Typed throws: load() can only throw PickleError, choose() only TorchError.
            let outcome: Bool = bytes.withUnsafeBytes { b in
                var u = Unpickler(b)
                defer { u.arena.release() }
                do {
                    let top = try u.load()
                    _ = try TorchStateDict.choose(top, useEMA: i % 2 == 0, file: "f")
                    return true
                } catch is PickleError {
                    return false
                } catch is TorchError {
                    return false
                } catch {
                    Issue.record("unexpected error \(error)")
                    return false
                }
            }
            if outcome { parsed += 1 } else { refused += 1 }
        }
        let elapsed = clock.now - start
        #expect(parsed + refused == 20_000)
        #expect(parsed > 100 && refused > 1000)
        #expect(elapsed < .seconds(120))
        print("unpickler fuzz: \(parsed) parsed, \(refused) refused, \(elapsed)")
    }
}

@Suite("whole checkpoints under mutation")
struct TorchCheckpointFuzzTests {
    @Test("3,000 checkpoints with mutated pickles over real storages open and read every tensor or throw TorchError")
    func fuzz() throws {
        let zip = try ZipArchive(path: sourcesFixture("torch/views.pth"))
        let members = try zip.entries.map { ZipBuilder.Member($0.name, try zip.contents(of: $0).array) }
        let pickleIndex = try #require(members.firstIndex { $0.name.hasSuffix("/data.pkl") })
        var rng = SplitMix64(seed: 3_000)
        var read = 0, refused = 0
        for _ in 0..<3000 {
            var m = members
            m[pickleIndex].content = mutate(members[pickleIndex].content, rng: &rng)
            let bytes = ZipBuilder.build(m).bytes
            do {
                let archive = try bytes.withUnsafeBytes { try ZipArchive(storage: ByteStorage(copying: $0), path: "m.pth") }
                let c = try TorchCheckpoint(archive: archive)
                for info in c.tensorInfos {
                    let t = try c.tensor(named: info.name)
                    #expect(t.shape == info.shape && t.dtype == info.dtype)
                }
                read += 1
            } catch is TorchError {
                refused += 1
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
        #expect(read + refused == 3000 && read > 20)
    }
}
