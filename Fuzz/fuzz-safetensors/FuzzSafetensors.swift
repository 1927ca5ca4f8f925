#if canImport(Glibc)
import FuzzDriver
import Glibc
#endif
import ViTSafetensors
import ViTTensor

/// One input: parse it as a safetensors file (header, then every tensor read to Float32, so the address
/// sanitizer sees any read outside the buffer) and as a sharded-checkpoint index. Whatever the bytes,
/// the library must return or throw; a trap or an out-of-bounds access is a finding.
/// - Parameters:
///   - storage: the input bytes.
///   - path: the name errors use.
/// - Returns: the tensors read, or the header's error (the index parse only counts when it succeeds).
func fuzzSafetensors(_ storage: ByteStorage, path: String) -> Outcome {
    let index = try? SafetensorsIndex.parse(bytes: storage.bytes, path: path)
    let header: SafetensorsHeader
    do { header = try SafetensorsHeader.parse(bytes: storage.bytes, fileSize: storage.count, path: path) } catch {
        return index.map { .read(count: $0.weightMap.count) } ?? .refused(error)
    }
    var read = 0
    for e in header.entries {
        do {
            let t = try Tensor(dtype: e.dtype, shape: e.shape, storage: storage, offset: header.dataStart + e.begin)
            if t.elementCount <= 1 << 16 { _ = t.floats() }
            read += 1
        } catch {
            return .refused(error)
        }
    }
    return .read(count: read)
}

#if FUZZING
/// The libFuzzer test-one-input function (compiled only with `-DFUZZING`, see tools/fuzz.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = fuzzSafetensors(fuzzInput(data, size), path: "fuzz.safetensors")
    return 0
}
#endif

/// The entry point. Built by tools/fuzz.sh (`-DFUZZING -sanitize=fuzzer`) it hands the command line to
/// libFuzzer's driver; otherwise it replays the files given as arguments (a corpus or crash inputs).
@main
enum FuzzSafetensorsMain {
    static func main() {
        #if FUZZING
        exit(runLibFuzzer(fuzzerTestOneInput))
        #else
        replayFiles(CommandLine.arguments.dropFirst(), name: "fuzz-safetensors", harness: fuzzSafetensors)
        #endif
    }
}
