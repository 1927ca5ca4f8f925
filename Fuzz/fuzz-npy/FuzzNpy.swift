#if canImport(Glibc)
import FuzzDriver
import Glibc
#endif
import ViTNumpy
import ViTTensor

/// One input: read it as a `.npy` file the way `NpyFile` does (header, size checks, a view of the data)
/// and convert the array to Float32.
/// - Parameters:
///   - storage: the input bytes.
///   - path: the name errors use.
/// - Returns: one array read, or the error.
func fuzzNpy(_ storage: ByteStorage, path: String) -> Outcome {
    do {
        let header = try NpyHeader.parse(storage.bytes, file: path)
        guard let need = Shape.byteCount(header.shape, dtype: header.dtype) else {
            return .refused(NpyError.invalidShape(file: path, shape: header.shape))
        }
        let have = storage.count - header.dataOffset
        guard have == need else { return .refused(NpyError.truncated(file: path, expectedBytes: header.dataOffset + need, foundBytes: storage.count)) }
        let t = try Tensor(dtype: header.dtype, shape: header.shape, storage: storage, offset: header.dataOffset)
        if t.elementCount <= 1 << 16 { _ = t.floats() }
        return .read(count: 1)
    } catch {
        return .refused(error)
    }
}

#if FUZZING
/// The libFuzzer test-one-input function (compiled only with `-DFUZZING`, see tools/fuzz.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = fuzzNpy(fuzzInput(data, size), path: "fuzz.npy")
    return 0
}
#endif

/// The entry point. Built by tools/fuzz.sh (`-DFUZZING -sanitize=fuzzer`) it hands the command line to
/// libFuzzer's driver; otherwise it replays the files given as arguments (a corpus or crash inputs).
@main
enum FuzzNpyMain {
    static func main() {
        #if FUZZING
        exit(runLibFuzzer(fuzzerTestOneInput))
        #else
        replayFiles(CommandLine.arguments.dropFirst(), name: "fuzz-npy", harness: fuzzNpy)
        #endif
    }
}
