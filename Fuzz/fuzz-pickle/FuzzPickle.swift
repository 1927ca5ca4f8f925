#if canImport(Glibc)
import FuzzDriver
import Glibc
#endif
import ViTTensor
import ViTTorch
import ViTZip

/// One input: a pickle, read as the `data.pkl` of a `torch.save` zip checkpoint through the public
/// reader (restricted unpickler, state-dict extraction, storage and stride checks), then every tensor
/// read to Float32. The harness wraps the pickle in a stored ZIP and supplies the storages it asks for:
/// when the reader reports a missing storage or a storage of the wrong size, the archive is rebuilt
/// with that storage at the size the pickle claims (up to 8 storages of at most 64 KiB in all, so up to
/// 16 attempts: each attempt unpickles again, and more made the target slow), so mutations reach the
/// tensor checks instead of stopping at the first storage lookup.
/// - Parameters:
///   - storage: the pickle bytes.
///   - path: the name errors use.
/// - Returns: the tensors read, or the reader's last error.
func fuzzPickle(_ storage: ByteStorage, path: String) -> Outcome {
    let pickle = Array(storage.bytes)
    var storages: [(key: String, size: Int)] = []
    var total = 0
    var last: any Error = TorchError.noDataPickle(file: path)
    for _ in 0..<16 {
        let zip = storedZip(pickle: pickle, storages: storages)
        do {
            let archive = try zip.withUnsafeBytes { try ZipArchive(storage: ByteStorage(copying: $0), path: path) }
            let checkpoint = try TorchCheckpoint(archive: archive)
            for info in checkpoint.tensorInfos {
                let t = try checkpoint.tensor(named: info.name)
                if t.elementCount <= 1 << 16 { _ = t.floats() }
            }
            return .read(count: checkpoint.tensorInfos.count)
        } catch let e as TorchError {
            last = e
            switch e {
            case let .missingStorage(_, _, key) where key.utf8.count <= 64 && storages.count < 8:
                storages.append((key, 0))
            case let .storageSizeMismatch(_, key, expected, _) where expected <= (1 << 16) - total:
                guard let i = storages.firstIndex(where: { $0.key == key }) else { return .refused(e) }
                total += expected - storages[i].size
                storages[i].size = expected
            default:
                return .refused(e)
            }
        } catch {
            return .refused(error)
        }
    }
    return .refused(last)
}

/// A ZIP archive of stored members: `archive/byteorder` (`little`), `archive/data.pkl` and one
/// `archive/data/KEY` per storage, filled with a byte pattern (a prefix of `storagePattern`).
private func storedZip(pickle: [UInt8], storages: [(key: String, size: Int)]) -> [UInt8] {
    var members: [(String, ArraySlice<UInt8>, UInt32)] = [
        ("archive/byteorder", ArraySlice("little".utf8), crc32(ArraySlice("little".utf8))),
        ("archive/data.pkl", pickle[...], crc32(pickle[...])),
    ]
    for s in storages { members.append(("archive/data/" + s.key, storagePattern[0..<s.size], patternCRC(s.size))) }
    var out: [UInt8] = []
    var central: [UInt8] = []
    func le16(_ v: Int, _ a: inout [UInt8]) { a += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    func le32(_ v: Int, _ a: inout [UInt8]) { for k in 0..<4 { a.append(UInt8((v >> (8 * k)) & 0xFF)) } }
    for (name, content, checksum) in members {
        let offset = out.count, crc = Int(checksum), n = Array(name.utf8)
        le32(0x0403_4B50, &out); le16(20, &out); le16(0x800, &out); le16(0, &out); le16(0, &out); le16(0x21, &out)
        le32(crc, &out); le32(content.count, &out); le32(content.count, &out); le16(n.count, &out); le16(0, &out)
        out += n + content
        le32(0x0201_4B50, &central); le16(20, &central); le16(20, &central); le16(0x800, &central); le16(0, &central)
        le16(0, &central); le16(0x21, &central); le32(crc, &central); le32(content.count, &central); le32(content.count, &central)
        le16(n.count, &central); le16(0, &central); le16(0, &central); le16(0, &central); le16(0, &central); le32(0, &central)
        le32(offset, &central)
        central += n
    }
    let cd = out.count
    out += central
    le32(0x0605_4B50, &out); le16(0, &out); le16(0, &out); le16(members.count, &out); le16(members.count, &out)
    le32(central.count, &out); le32(cd, &out); le16(0, &out)
    return out
}

/// 64 KiB of storage bytes (every storage is a prefix of it).
private let storagePattern: [UInt8] = (0..<(1 << 16)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }

/// CRC-32 of each prefix length of `storagePattern` seen so far (the fuzzer is single-threaded).
nonisolated(unsafe) private var patternCRCs: [Int: UInt32] = [:]

private func patternCRC(_ count: Int) -> UInt32 {
    if let c = patternCRCs[count] { return c }
    let c = crc32(storagePattern[0..<count])
    patternCRCs[count] = c
    return c
}

/// CRC-32 (IEEE) with a 256-entry table.
private func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
}

private let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}

#if FUZZING
/// The libFuzzer test-one-input function (compiled only with `-DFUZZING`, see tools/fuzz.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = fuzzPickle(fuzzInput(data, size), path: "fuzz.pth")
    return 0
}
#endif

/// The entry point. Built by tools/fuzz.sh (`-DFUZZING -sanitize=fuzzer`) it hands the command line to
/// libFuzzer's driver; otherwise it replays the files given as arguments (a corpus or crash inputs).
@main
enum FuzzPickleMain {
    static func main() {
        #if FUZZING
        exit(runLibFuzzer(fuzzerTestOneInput))
        #else
        replayFiles(CommandLine.arguments.dropFirst(), name: "fuzz-pickle", harness: fuzzPickle)
        #endif
    }
}
