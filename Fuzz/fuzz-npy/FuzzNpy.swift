#if canImport(Glibc)
import Glibc
#endif
import ViTNumpy
import ViTTensor

/// One fuzz input: parse it as a `.npy` file the way `NpyFile` does (header, size checks, a view of the
/// data) and read the array to Float32.
/// - Returns: 1 when the input was a readable array, else 0.
@discardableResult
func fuzzNpy(_ input: UnsafeRawBufferPointer) -> Int {
    let storage = ByteStorage(copying: input)
    guard let header = try? NpyHeader.parse(storage.bytes, file: "fuzz.npy"),
          let need = Shape.byteCount(header.shape, dtype: header.dtype),
          storage.count - header.dataOffset == need,
          let t = try? Tensor(dtype: header.dtype, shape: header.shape, storage: storage, offset: header.dataOffset)
    else { return 0 }
    if t.elementCount <= 1 << 16 { _ = t.floats() }
    return 1
}

#if FUZZING
/// The libFuzzer test-one-input function (compiled only with `-DFUZZING`, see tools/fuzz.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzNpy(UnsafeRawBufferPointer(start: data, count: size))
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
