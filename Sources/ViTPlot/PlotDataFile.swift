import Foundation

/// `--plot-data OUT.json|.npy`: a figure's numbers. JSON: `{"figure", "arrays": {name: {"shape", "values"}}, ...}`;
/// .npy: the figure's main array (float32, C order).
public struct PlotDataFile {
    public var figure: String
    public var arrays: [(name: String, shape: [Int], values: [Float])]
    public var extra: [String: Any]

    public init(figure: String, arrays: [(name: String, shape: [Int], values: [Float])], extra: [String: Any] = [:]) {
        self.figure = figure
        self.arrays = arrays
        self.extra = extra
    }

    /// Writes JSON (every array) or .npy (the first array), atomically.
    public func write(to path: String) throws {
        let data: Data
        if path.lowercased().hasSuffix(".npy") {
            data = Self.npy(arrays[0].values, shape: arrays[0].shape)
        } else if path.lowercased().hasSuffix(".json") {
            var obj = extra
            obj["figure"] = figure
            var a: [String: Any] = [:]
            for x in arrays { a[x.name] = ["shape": x.shape, "values": x.values.map(Double.init)] }
            obj["arrays"] = a
            data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
        } else {
            throw PlotError.notApplicable(file: path, message: "--plot-data writes .json or .npy (by the name's extension)")
        }
        let tmp = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: data), rename(tmp, path) == 0 else {
            unlink(tmp)
            throw PlotError.cairo(file: path, message: "cannot write the file")
        }
    }

    /// A version-1.0 little-endian float32 .npy.
    static func npy(_ values: [Float], shape: [Int]) -> Data {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(shape.map(String.init).joined(separator: ", "))\(shape.count == 1 ? "," : "")), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var d = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        d.append(contentsOf: [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        d.append(Data(header.utf8))
        values.withUnsafeBytes { d.append(contentsOf: $0) }
        return d
    }
}
