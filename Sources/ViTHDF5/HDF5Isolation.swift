#if canImport(Glibc)
import Glibc
#endif

/// How ViTKit reads HDF5 files: in a separate, sandboxed reader process by default.
///
/// libhdf5 (1.10.8 here) crashes or loops on some damaged files; run inside the caller it would take the
/// whole program down. `HDF5File` therefore starts `vit-hdf5-reader` for each file it opens and talks to
/// it over a socket (docs/hdf5.md, "The isolated reader"). Writing HDF5 (our own data) stays in-process.
///
/// Environment:
/// - `VITKIT_HDF5_HELPER`: the reader executable's path (default: `vit-hdf5-reader` next to the running
///   executable, or in the build folder of the running test bundle).
/// - `VITKIT_HDF5_WATCHDOG_SECONDS`: how long the reader may go without progress (default 10).
/// - `VITKIT_HDF5_IN_PROCESS=1`: read with libhdf5 in this process (no isolation; for measurements and
///   trusted files only).
enum HDF5Isolation {
    static let helperName = "vit-hdf5-reader"
    static let defaultWatchdogSeconds = 10

    static var inProcess: Bool { getenv("VITKIT_HDF5_IN_PROCESS").map { String(cString: $0) == "1" } ?? false }

    static var watchdogSeconds: Int {
        if let v = getenv("VITKIT_HDF5_WATCHDOG_SECONDS").flatMap({ Int(String(cString: $0)) }), v > 0 { return v }
        return defaultWatchdogSeconds
    }

    /// The reader executable, or a message saying where it was looked for.
    static func helperPath() -> (path: String?, problem: String) {
        if let env = getenv("VITKIT_HDF5_HELPER"), env.pointee != 0 {
            let p = String(cString: env)
            return access(p, X_OK) == 0 ? (p, "") : (nil, "VITKIT_HDF5_HELPER names '\(p)', which is not an executable")
        }
        var folders: [String] = []
        if let exe = executablePath() {
            var folder = parent(exe)
            folders.append(folder)
            // A test bundle (.build/<config>/X.xctest/... or its runner): walk up to the build folder.
            for _ in 0..<4 where folder != "/" {
                folder = parent(folder)
                folders.append(folder)
            }
        }
        for folder in folders {
            let candidate = folder + "/" + helperName
            if access(candidate, X_OK) == 0 { return (candidate, "") }
        }
        let looked = folders.first.map { "next to the running program (\($0))" } ?? "next to the running program"
        return (nil, "the isolated HDF5 reader '\(helperName)' was not found \(looked); build it with "
                        + "`swift build --product \(helperName)` or set VITKIT_HDF5_HELPER to its path")
    }

    private static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// How one file is read: the environment's choices, or a test's.
struct ReaderOptions: Sendable {
    var inProcess = HDF5Isolation.inProcess
    /// The reader executable; nil finds it as `HDF5Isolation.helperPath()` says.
    var executable: String?
    var watchdogSeconds = HDF5Isolation.watchdogSeconds
}
