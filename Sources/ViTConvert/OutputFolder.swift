#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ViTTensor

/// A folder written atomically: files go into a temporary folder beside the destination, which is renamed onto
/// it by `commit()`. An existing destination (allowed only with overwrite) is moved aside first and removed after
/// the rename, so a reader sees the old folder or the new one, never a mix. Dropping an uncommitted
/// `OutputFolder` removes the temporary folder.
final class OutputFolder {
    let destination: String
    let temporaryPath: String
    private var committed = false

    /// - Throws: `ConvertError.outputFolderMissing`, `.outputExists`, `AtomicFileError.io`.
    init(destination: String, overwrite: Bool) throws {
        let dest = destination.hasSuffix("/") && destination.count > 1 ? String(destination.dropLast()) : destination
        self.destination = dest
        let parent = AtomicFile.folder(of: dest)
        var st = stat()
        guard stat(parent, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw ConvertError.outputFolderMissing(path: dest, folder: parent)
        }
        var own = stat()
        if lstat(dest, &own) == 0 {
            guard overwrite else { throw ConvertError.outputExists(path: dest) }
        }
        let base = dest.split(separator: "/").last.map(String.init) ?? "out"
        var template = Array("\(parent)/.\(base).tmp-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw AtomicFileError.io(path: dest, operation: "creating a temporary folder", message: String(cString: strerror(errno)))
        }
        chmod(String(cString: template), 0o755)
        temporaryPath = String(cString: template)
    }

    /// The path of `name` inside the temporary folder.
    func path(_ name: String) -> String { temporaryPath + "/" + name }

    /// Writes a small text file (synced before `commit` renames the folder).
    func writeText(_ text: String, to name: String) throws {
        let f = try AtomicFile(destination: path(name), overwrite: false)
        try Array(text.utf8).withUnsafeBytes { try f.write($0) }
        try f.commit()
    }

    /// Renames the temporary folder onto the destination.
    /// - Throws: `AtomicFileError.io` when a rename fails (the destination is then left as it was).
    func commit() throws {
        var st = stat()
        var aside: String?
        if lstat(destination, &st) == 0 {
            let a = temporaryPath + ".old"
            guard rename(destination, a) == 0 else {
                throw AtomicFileError.io(path: destination, operation: "moving the old output aside", message: String(cString: strerror(errno)))
            }
            aside = a
        }
        guard rename(temporaryPath, destination) == 0 else {
            let message = String(cString: strerror(errno))
            if let aside { rename(aside, destination) }
            throw AtomicFileError.io(path: destination, operation: "renaming the output into place", message: message)
        }
        committed = true
        if let aside { try? FileManager.default.removeItem(atPath: aside) }
    }

    deinit {
        if !committed { try? FileManager.default.removeItem(atPath: temporaryPath) }
    }
}
