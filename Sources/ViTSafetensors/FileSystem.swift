#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ViTTensor

/// The few file-system queries the checkpoint opener needs (no Foundation).
enum FileSystem {
    enum Kind { case missing, file, directory, other }

    /// What is at `path` (following symbolic links).
    static func kind(_ path: String) -> Kind {
        var st = stat()
        guard stat(path, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// The names in folder `path`, without `.`/`..` and hidden (dot) files, sorted by bytes.
    /// - Throws: `SafetensorsError.io` when the folder cannot be read.
    static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else {
            throw SafetensorsError.io(file: path, message: "cannot list the folder: \(String(cString: strerror(errno)))")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let e = readdir(dir) {
            let name = withUnsafePointer(to: &e.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: e.pointee.d_name)) { String(cString: $0) }
            }
            if name.hasPrefix(".") { continue }
            names.append(name)
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Maps `path`, turning a tensor-core I/O error into `SafetensorsError.io`.
    static func map(_ path: String) throws -> ByteStorage {
        do { return try ByteStorage(mapping: path) } catch let e as TensorError {
            if case let .io(_, m) = e { throw SafetensorsError.io(file: path, message: m) }
            throw SafetensorsError.io(file: path, message: e.description)
        }
    }

    /// `folder/name` (just `name` when the folder is `.`).
    static func join(_ folder: String, _ name: String) -> String {
        if folder == "." { return name }
        return folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    /// The folder part of `path`.
    static func folder(of path: String) -> String { AtomicFile.folder(of: path) }
}
