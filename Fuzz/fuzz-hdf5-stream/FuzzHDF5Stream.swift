#if canImport(Glibc)
import FuzzDriver
import Glibc
#endif
import ViTHDF5
import ViTTensor

/// One input: a byte stream as the isolated HDF5 reader (`vit-hdf5-reader`) would send it, parsed by
/// ViTKit's strict catalogue parser (`parseCatalogueStream`). The parser must refuse anything malformed
/// with an `HDF5Error` naming the file, never trap, and never allocate more than the lengths it has
/// checked against the bytes at hand.
/// - Parameters:
///   - storage: the input bytes.
///   - path: the name errors use.
/// - Returns: the number of objects in the catalogue, or the error.
func fuzzHDF5Stream(_ storage: ByteStorage, path: String) -> Outcome {
    do {
        return .read(count: try parseCatalogueStream(Array(storage.bytes), file: path))
    } catch {
        return .refused(error)
    }
}

#if FUZZING
/// The libFuzzer test-one-input function (compiled only with `-DFUZZING`, see tools/fuzz.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = fuzzHDF5Stream(fuzzInput(data, size), path: "fuzz.h5")
    return 0
}
#endif

/// The entry point. Built by tools/fuzz.sh (`-DFUZZING -sanitize=fuzzer`) it hands the command line to
/// libFuzzer's driver; otherwise it replays the files given as arguments (a corpus or crash inputs).
@main
enum FuzzHDF5StreamMain {
    static func main() {
        #if FUZZING
        exit(runLibFuzzer(fuzzerTestOneInput))
        #else
        replayFiles(CommandLine.arguments.dropFirst(), name: "fuzz-hdf5-stream", harness: fuzzHDF5Stream)
        #endif
    }
}
