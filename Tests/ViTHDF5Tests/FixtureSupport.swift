import Foundation
import ViTTensor
@testable import ViTHDF5
import ViTTestSupport

/// Repository root, found from this file's path.
let repoRoot = Fixtures.repository
let hdf5Fixtures = repoRoot.appendingPathComponent("fixtures/hdf5")

func fixturePath(_ name: String) -> String { hdf5Fixtures.appendingPathComponent(name).path }

/// What tools/fixtures_hdf5.py recorded with h5py for one file.
struct ExpectedFile: Decodable {
    struct Dataset: Decodable {
        let dtype: String
        let shape: [Int]
        let hex: String
    }
    struct Attribute: Decodable {
        let kind: String
        let value: AttributeValue
    }
    enum AttributeValue: Decodable {
        case number(Double)
        case integer(Int64)
        case string(String)
        case numbers([Double])
        case integers([Int64])
        case strings([String])

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let v = try? c.decode(Int64.self) { self = .integer(v); return }
            if let v = try? c.decode(Double.self) { self = .number(v); return }
            if let v = try? c.decode(String.self) { self = .string(v); return }
            if let v = try? c.decode([Int64].self) { self = .integers(v); return }
            if let v = try? c.decode([Double].self) { self = .numbers(v); return }
            self = .strings(try c.decode([String].self))
        }
    }
    let names: [String]
    let datasets: [String: Dataset]
    let unreadable: [String: String]
    let attributes: [String: [String: Attribute]]
}

func loadExpected() throws -> [String: ExpectedFile] {
    let data = try Data(contentsOf: hdf5Fixtures.appendingPathComponent("expected.json"))
    let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    // collision.h5 has a different shape of entry; decode the per-file entries that have "names".
    var out: [String: ExpectedFile] = [:]
    for (file, entry) in object {
        guard let dict = entry as? [String: Any], dict["names"] != nil else { continue }
        out[file] = try JSONDecoder().decode(ExpectedFile.self, from: JSONSerialization.data(withJSONObject: dict))
    }
    return out
}

/// The attribute h5py saw, as ViTKit's enum.
func hdf5Attribute(_ a: ExpectedFile.Attribute) -> HDF5Attribute? {
    switch (a.kind, a.value) {
    case let ("int", .integer(v)): return .int(v)
    case let ("float", .number(v)): return .float(v)
    case let ("float", .integer(v)): return .float(Double(v))
    case let ("string", .string(v)): return .string(v)
    case let ("ints", .integers(v)): return .ints(v)
    case let ("floats", .numbers(v)): return .floats(v)
    case let ("floats", .integers(v)): return .floats(v.map(Double.init))
    case let ("strings", .strings(v)): return .strings(v)
    default: return nil
    }
}

func hexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var i = hex.startIndex
    while i < hex.endIndex {
        let j = hex.index(i, offsetBy: 2)
        out.append(UInt8(hex[i..<j], radix: 16) ?? 0)
        i = j
    }
    return out
}

func temporaryPath(_ suffix: String = ".h5") -> String {
    NSTemporaryDirectory() + "vitkit-hdf5-\(UUID().uuidString)\(suffix)"
}
