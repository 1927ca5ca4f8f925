#if canImport(Glibc)
import FuzzDriver
import Glibc
#endif
import ViTNpz
import ViTTensor
import ViTTorch
import ViTZip

/// One input: a whole ZIP file, read by the strict ZIP reader (every member's contents, inflated with
/// zlib when deflated, size and CRC checked), then as a `.npz` archive and as a `torch.save` checkpoint,
/// reading every tensor of whichever opens to Float32.
/// - Parameters:
///   - storage: the file's bytes.
///   - path: the name errors use.
/// - Returns: the members read, or the ZIP reader's error.
func fuzzZip(_ storage: ByteStorage, path: String) -> Outcome {
    let archive: ZipArchive
    do { archive = try ZipArchive(storage: storage, path: path) } catch { return .refused(error) }
    var read = 0
    for entry in archive.entries where entry.uncompressedSize <= 1 << 22 {
        guard let bytes = try? archive.contents(of: entry) else { continue }
        // The first and last byte of the view: AddressSanitizer flags a view reaching outside its buffer.
        _ = bytes.withUnsafeBytes { b in b.isEmpty ? 0 : b[0] &+ b[b.count - 1] }
        read += 1
    }
    if let npz = try? NpzArchive(archive: archive) { readAll(npz) }
    if let torch = try? TorchCheckpoint(archive: archive) { readAll(torch) }
    return .read(count: read)
}

private func readAll(_ source: any TensorSource) {
    for info in source.tensorInfos {
        guard let t = try? source.tensor(named: info.name) else { continue }
        if t.elementCount <= 1 << 16 { _ = t.floats() }
    }
}

#if FUZZING
/// The libFuzzer test-one-input function (compiled only with `-DFUZZING`, see tools/fuzz.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = fuzzZip(fuzzInput(data, size), path: "fuzz.zip")
    return 0
}
#endif

/// The entry point. Built by tools/fuzz.sh (`-DFUZZING -sanitize=fuzzer`) it hands the command line to
/// libFuzzer's driver; otherwise it replays the files given as arguments (a corpus or crash inputs).
@main
enum FuzzZipMain {
    static func main() {
        #if FUZZING
        exit(runLibFuzzer(fuzzerTestOneInput))
        #else
        replayFiles(CommandLine.arguments.dropFirst(), name: "fuzz-zip", harness: fuzzZip)
        #endif
    }
}
