import Foundation

/// `fixtures/sources/`.
public let sourcesFixtures = repositoryRoot().appendingPathComponent("fixtures/sources")

/// The path of a file under `fixtures/sources/`.
public func sourcesFixture(_ relative: String) -> String { sourcesFixtures.appendingPathComponent(relative).path }

/// One tensor as `tools/fixtures_sources.py` recorded it from numpy/torch.
public struct ExpectedTensor: Decodable, Sendable {
    public let name: String
    public let dtype: String
    public let shape: [Int]
    public let bytes: Int
    public let fnv1a64: String
    public let hex: String?
}

/// One fixture file's expected reading.
public struct ExpectedFile: Decodable, Sendable {
    public let format: String
    public let metadata: [String: String]
    public let tensors: [ExpectedTensor]
    public let use_ema: Bool?
}

/// `fixtures/sources/expected.json`, keyed by path (a `#ema` suffix marks the reading with `useEMA`).
public func loadExpectedSources() throws -> [String: ExpectedFile] {
    try JSONDecoder().decode([String: ExpectedFile].self,
                             from: Data(contentsOf: sourcesFixtures.appendingPathComponent("expected.json")))
}

/// FNV-1a 64 of `bytes`, as 16 hex digits (the fixture script's hash).
public func fnv1a64(_ bytes: [UInt8]) -> String {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    let s = String(h, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}

/// Lower-case hex of `bytes`.
public func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    var s = ""
    s.reserveCapacity(bytes.count * 2)
    for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
    return s
}
