#if canImport(Glibc)
import FuzzDriver
import Glibc
#endif
import ViTBin
import ViTTensor

/// One input: open it as a ViTKit `.bin` file twice, as given and with both XXH64 checksums recomputed
/// (otherwise almost every mutation stops at the header checksum and the structural checks behind it are
/// never reached), reading every tensor of a file that opens to Float32.
/// - Parameters:
///   - storage: the input bytes.
///   - path: the name errors use.
/// - Returns: the tensors read, or the error of the input as given.
func fuzzBin(_ storage: ByteStorage, path: String) -> Outcome {
    let asGiven = openAndRead(storage, path: path)
    var fixed = Array(storage.bytes)
    refreshChecksums(&fixed)
    _ = fixed.withUnsafeBytes { openAndRead(ByteStorage(copying: $0), path: path) }
    return asGiven
}

private func openAndRead(_ storage: ByteStorage, path: String) -> Outcome {
    do {
        let file = try BinFile(storage: storage, path: path, verifyChecksum: true)
        for info in file.tensorInfos {
            let t = try file.tensor(named: info.name)
            if t.elementCount <= 1 << 16 { _ = t.floats() }
        }
        return .read(count: file.tensorInfos.count)
    } catch {
        return .refused(error)
    }
}

/// Rewrites the header checksum (after the header the length field claims) and the file checksum
/// (16 bytes from the end) so they match the bytes they cover.
private func refreshChecksums(_ bytes: inout [UInt8]) {
    guard bytes.count >= BinFormat.preambleSize else { return }
    let length = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self)) }
    if length <= UInt64(bytes.count), BinFormat.preambleSize + Int(length) + 8 <= bytes.count {
        let end = BinFormat.preambleSize + Int(length)
        store(bytes.withUnsafeBytes { XXHash64.hash(UnsafeRawBufferPointer(rebasing: $0[0..<end])) }, at: end, in: &bytes)
    }
    if bytes.count >= BinFormat.trailerSize {
        let t = bytes.count - BinFormat.trailerSize
        store(bytes.withUnsafeBytes { XXHash64.hash(UnsafeRawBufferPointer(rebasing: $0[0..<t])) }, at: t, in: &bytes)
    }
}

private func store(_ v: UInt64, at offset: Int, in bytes: inout [UInt8]) {
    for k in 0..<8 { bytes[offset + k] = UInt8(truncatingIfNeeded: v >> UInt64(8 * k)) }
}

#if FUZZING
/// The libFuzzer test-one-input function (compiled only with `-DFUZZING`, see tools/fuzz.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = fuzzBin(fuzzInput(data, size), path: "fuzz.bin")
    return 0
}
#endif

/// The entry point. Built by tools/fuzz.sh (`-DFUZZING -sanitize=fuzzer`) it hands the command line to
/// libFuzzer's driver; otherwise it replays the files given as arguments (a corpus or crash inputs).
@main
enum FuzzBinMain {
    static func main() {
        #if FUZZING
        exit(runLibFuzzer(fuzzerTestOneInput))
        #else
        replayFiles(CommandLine.arguments.dropFirst(), name: "fuzz-bin", harness: fuzzBin)
        #endif
    }
}
