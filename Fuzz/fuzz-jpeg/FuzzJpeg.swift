#if canImport(Glibc)
import FuzzDriver
import Glibc
#endif
import ViTImage
import ViTTensor

/// One input: decode it as a JPEG file the way vit-run does (header, pixel limit, libjpeg/libpng behind the
/// setjmp shim), with a pixel limit of 4 megapixels so that a fuzzed header cannot make one run allocate
/// gigabytes. Every failure must come back as an `ImageError`, never a crash or an exit from the C library.
/// - Parameters:
///   - storage: the input bytes.
///   - path: the name errors use.
/// - Returns: one image read, or the error.
func fuzzJPEG(_ storage: ByteStorage, path: String) -> Outcome {
    do {
        let image = try JPEGDecoder.decode(storage.bytes, file: path, maxPixels: 4 << 20)
        return .read(count: image.width * image.height > 0 ? 1 : 0)
    } catch {
        return .refused(error)
    }
}

#if FUZZING
/// The libFuzzer test-one-input function (compiled only with `-DFUZZING`, see tools/fuzz.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = fuzzJPEG(fuzzInput(data, size), path: "fuzz.jpeg")
    return 0
}
#endif

/// The entry point. Built by tools/fuzz.sh (`-DFUZZING -sanitize=fuzzer`) it hands the command line to
/// libFuzzer's driver; otherwise it replays the files given as arguments (a corpus or crash inputs).
@main
enum FuzzJPEGMain {
    static func main() {
        #if FUZZING
        exit(runLibFuzzer(fuzzerTestOneInput))
        #else
        replayFiles(CommandLine.arguments.dropFirst(), name: "fuzz-jpeg", harness: fuzzJPEG)
        #endif
    }
}
