#if canImport(Glibc)
import Glibc
#endif
import ViTSafetensors
import ViTTensor

/// One fuzz input: parse it as a safetensors file (header, then every tensor read to Float32, so the
/// address sanitizer sees any read outside the buffer) and as a sharded-checkpoint index. Whatever the
/// bytes, the library must return or throw; a trap or an out-of-bounds access is a finding.
/// - Returns: the number of tensors read (a value for the replayer to print).
@discardableResult
func fuzzSafetensors(_ input: UnsafeRawBufferPointer) -> Int {
    var read = 0
    let storage = ByteStorage(copying: input)
    if let header = try? SafetensorsHeader.parse(bytes: storage.bytes, fileSize: storage.count, path: "fuzz.safetensors") {
        for e in header.entries {
            guard let t = try? Tensor(dtype: e.dtype, shape: e.shape, storage: storage, offset: header.dataStart + e.begin) else {
                continue
            }
            if t.elementCount <= 1 << 16 { _ = t.floats() }
            read += 1
        }
    }
    _ = try? SafetensorsIndex.parse(bytes: input, path: "fuzz.index.json")
    return read
}

#if FUZZING
/// The libFuzzer test-one-input function (compiled only with `-DFUZZING`, see tools/fuzz.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzSafetensors(UnsafeRawBufferPointer(start: data, count: size))
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
