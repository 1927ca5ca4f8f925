import ViTMapping
import ViTTensor

/// The rules of a conversion itself, each naming the files involved.
///
/// Errors of the layers below (opening and reading the input: `FormatError`, `SafetensorsError`,
/// `HDF5Error`, `BinError`; mapping: `MappingError`; resizing: `ResizeError`; writing: `AtomicFileError`,
/// `SafetensorsError`, `HDF5Error`, `BinError`) pass through `Converter.convert` unchanged.
public enum ConvertError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The output's extension selects no format (`found` is the extension without the dot, "" for none).
    case unsupportedOutputExtension(path: String, found: String)
    /// Nothing exists at the input path.
    case inputNotFound(path: String)
    /// The input exists but cannot be read (`message` is the OS error text).
    case inputUnreadable(path: String, message: String)
    /// The output's folder does not exist.
    case outputFolderMissing(path: String, folder: String)
    /// The output is the input, or one of the files the input is read from (same path, a symlink to it,
    /// or a hard link: same device and inode).
    case outputIsInput(output: String, input: String)
    /// The output exists and replacing it was not allowed.
    case outputExists(path: String)
    /// The output path is an existing folder.
    case outputIsFolder(path: String)
    /// The new image size is not a whole number of patches.
    case imageSizeDoesNotTile(imageSize: [Int], patchSize: [Int])
    /// The new image size is not two positive numbers.
    case invalidImageSize([Int])
    /// The requested output dtype is not one a conversion writes (F32, F16, BF16).
    case unsupportedOutputDType(DType)
    /// The output's file system has less free space than the tensor data needs.
    case notEnoughSpace(path: String, needed: Int, available: Int)
    /// The conversion was cancelled (e.g. by Ctrl-C); nothing was written.
    case cancelled(output: String)
    /// The output name does not fit the export layout (`expected` lists what does).
    case unsupportedExportExtension(path: String, layout: ExportLayout, expected: String)

    public var description: String {
        switch self {
        case let .unsupportedOutputExtension(p, e):
            let found = e.isEmpty ? "no extension" : "'.\(e)'"
            return "\(p): cannot tell the output format from \(found); use one of \(OutputFormat.extensionList)"
        case let .inputNotFound(p):
            return "\(p): no such file or folder"
        case let .inputUnreadable(p, m):
            return "\(p): cannot read the input: \(m)"
        case let .outputFolderMissing(p, f):
            return "\(p): the output folder \(f) does not exist (create it first)"
        case let .outputIsInput(o, i):
            return o == i ? "\(o): the output is the input; choose another output file"
                : "\(o): the output is the same file as the input \(i); choose another output file"
        case let .outputExists(p):
            return "\(p): already exists (use --force to replace it)"
        case let .outputIsFolder(p):
            return "\(p): is a folder; give an output file name"
        case let .imageSizeDoesNotTile(i, p):
            return "image size \(i[0])x\(i[1]) is not a whole number of \(p[0])x\(p[1]) patches"
                + " (use multiples of \(p[0]) for the height and \(p[1]) for the width)"
        case let .invalidImageSize(s):
            return "image size \(s.map(String.init).joined(separator: "x")) must be two positive numbers (N or HxW)"
        case let .unsupportedOutputDType(d):
            return "cannot convert to dtype \(d.shortName); use f32, f16 or bf16"
        case let .notEnoughSpace(p, n, a):
            return "\(p): not enough free space: the tensors need \(n) bytes, the disk has \(a) bytes available"
        case let .cancelled(o):
            return "\(o): conversion cancelled; nothing was written"
        case let .unsupportedExportExtension(p, l, e):
            return "\(p): --to \(l.rawValue) writes \(e)"
        }
    }
}
