import Foundation
import Testing

/// The package root (this file is Tests/PackageGraphTests/PackageGraphTests.swift).
private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// One target as Package.swift declares it.
struct DeclaredTarget: Sendable, CustomStringConvertible {
    enum Kind: String, Sendable { case target, executableTarget, testTarget, systemLibrary }
    let name: String
    let kind: Kind
    /// Target and product names in `dependencies:`.
    let dependencies: Set<String>
    /// The folder holding its sources.
    let path: String
    var description: String { name }
}

/// Reads the targets out of Package.swift's text: each `.target(`, `.executableTarget(`, `.testTarget(` and
/// `.systemLibrary(` call, its `name:`, the string literals and `.product(name:` names of its `dependencies:`
/// array, and its `path:` (default Sources/NAME or Tests/NAME).
enum PackageManifest {
    static func targets(_ text: String) -> [DeclaredTarget] {
        let chars = Array(text)
        var out: [DeclaredTarget] = []
        var i = 0
        while i < chars.count {
            guard chars[i] == ".", let (kind, open) = call(chars, at: i) else { i += 1; continue }
            let close = matching(chars, open)
            let body = String(chars[(open + 1)..<close])
            if let name = field(body, "name") {
                var deps = Set<String>()
                if let range = body.range(of: "dependencies:") {
                    let b = Array(body[range.upperBound...])
                    if let start = b.firstIndex(of: "[") {
                        let list = String(b[(start + 1)..<matching(b, start)])
                        deps = Set(strings(list).filter { _ in true })
                        // `.product(name: "P", package: "p")` contributes P (and its package name, dropped here).
                        let packages = Set(matches(list, #"package:\s*"([^"]+)""#))
                        deps.subtract(packages)
                    }
                }
                let folder = kind == .testTarget ? "Tests" : "Sources"
                out.append(DeclaredTarget(name: name, kind: kind, dependencies: deps, path: field(body, "path") ?? "\(folder)/\(name)"))
            }
            i = close
        }
        return out
    }

    private static func call(_ c: [Character], at i: Int) -> (DeclaredTarget.Kind, Int)? {
        for kind in [DeclaredTarget.Kind.executableTarget, .testTarget, .systemLibrary, .target] {
            let word = Array(kind.rawValue + "(")
            if i + 1 + word.count <= c.count, Array(c[(i + 1)..<(i + 1 + word.count)]) == word { return (kind, i + word.count) }
        }
        return nil
    }

    /// The index of the bracket closing the one at `open` (parentheses or square brackets), skipping strings.
    private static func matching(_ c: [Character], _ open: Int) -> Int {
        var depth = 0, inString = false, i = open
        while i < c.count {
            let ch = c[i]
            if inString { if ch == "\\" { i += 1 } else if ch == "\"" { inString = false } }
            else if ch == "\"" { inString = true }
            else if ch == "(" || ch == "[" { depth += 1 }
            else if ch == ")" || ch == "]" { depth -= 1; if depth == 0 { return i } }
            i += 1
        }
        return c.count - 1
    }

    private static func field(_ body: String, _ key: String) -> String? { matches(body, key + #":\s*"([^"]+)""#).first }
    private static func strings(_ text: String) -> [String] { matches(text, #""([^"]+)""#) }

    private static func matches(_ text: String, _ pattern: String) -> [String] {
        guard let re = try? NSRegularExpression(pattern: pattern) else { return [] }
        return re.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: 1), in: text).map { String(text[$0]) }
        }
    }
}

/// The modules a folder's Swift files import (any `import X`, `@testable import X`, `@_exported import X`).
func importedModules(under folder: URL) -> Set<String> {
    var modules = Set<String>()
    guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return modules }
    let re = try? NSRegularExpression(pattern: #"^\s*(?:(?:@\w+|public|package|internal|fileprivate|private)\s+)*import\s+(?:(?:struct|class|enum|func|protocol|typealias|var|let)\s+)?([A-Za-z_][A-Za-z0-9_]*)"#,
                                      options: .anchorsMatchLines)
    for case let url as URL in walker where url.pathExtension == "swift" {
        guard let text = try? String(contentsOf: url, encoding: .utf8), let re else { continue }
        for m in re.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            if let r = Range(m.range(at: 1), in: text) { modules.insert(String(text[r])) }
        }
    }
    return modules
}

@Suite("Package.swift declares exactly the dependencies the sources import")
struct PackageGraphTests {
    static let targets: [DeclaredTarget] = {
        let text = (try? String(contentsOf: packageRoot.appendingPathComponent("Package.swift"), encoding: .utf8)) ?? ""
        return PackageManifest.targets(text)
    }()
    /// Products of package dependencies, by the module each provides.
    static let products: Set<String> = ["ArgumentParser", "SystemPackage"]

    @Test("the manifest is read: every layer's target is found")
    func parsed() {
        let names = Set(Self.targets.map(\.name))
        for n in ["ViTTensor", "ViTFormats", "ViTMapping", "ViTKit", "vit-run", "vitkit-example", "CLITests", "CHDF5"] {
            #expect(names.contains(n), "\(n) not found in Package.swift")
        }
        #expect(Self.targets.first { $0.name == "ViTMapping" }?.dependencies == ["ViTTensor", "ViTModel"])
    }

    @Test("each target imports only what it declares, and declares only what it imports", arguments: targets.filter { $0.kind != .systemLibrary })
    func edges(_ target: DeclaredTarget) {
        let modules = Set(Self.targets.map { $0.name.replacingOccurrences(of: "-", with: "_") }).union(Self.products)
        let executables = Set(Self.targets.filter { $0.kind == .executableTarget }.map(\.name))
        let imported = importedModules(under: packageRoot.appendingPathComponent(target.path)).intersection(modules)
            .subtracting([target.name.replacingOccurrences(of: "-", with: "_")])
        // Only module names count (a `condition: .when(traits: ["HDF5"])` names a trait, not a module).
        let declared = Set(target.dependencies.map { $0.replacingOccurrences(of: "-", with: "_") }).intersection(modules)
        let undeclared = imported.subtracting(declared).sorted()
        #expect(undeclared.isEmpty, "\(target.name) imports \(undeclared) without declaring them in Package.swift")
        // A target may depend on an executable to have it built (CLI tests run the tools; the tools and the facade
        // start vit-hdf5-reader); nothing imports those.
        let allowedUnimported = Set(executables.map { $0.replacingOccurrences(of: "-", with: "_") })
        let unused = declared.subtracting(imported).subtracting(allowedUnimported).sorted()
        #expect(unused.isEmpty, "\(target.name) declares \(unused) in Package.swift but no file imports them")
    }

    @Test("lower layers never depend on higher ones")
    func layering() {
        let layer: [String: Int] = [
            "CHDF5": 1, "CBLAS": 1, "CDNNL": 1, "CViTKernels": 1, "CZlib": 1,
            "ViTTensor": 2, "ViTSafetensors": 2, "ViTHDF5": 2, "ViTNumpy": 2, "ViTBin": 2, "ViTZip": 2, "ViTNpz": 2,
            "ViTTorch": 2, "ViTFormats": 2, "ViTImage": 2, "CJPEG": 1, "CPNG": 1, "CCairo": 1,
            "ViTModel": 3, "ViTRuntime": 3,
            "ViTMapping": 4, "ViTConvert": 4, "ViTInspect": 4, "ViTPreprocess": 4,
            "ViTKit": 5, "ViTCLI": 5, "ViTPlot": 5,
        ]
        for t in Self.targets {
            guard let mine = layer[t.name] else { continue }
            for d in t.dependencies {
                guard let theirs = layer[d] else { continue }
                #expect(theirs <= mine, "\(t.name) (layer \(mine)) depends on \(d) (layer \(theirs))")
            }
        }
        // The mapping knows no file format.
        let mapping = Self.targets.first { $0.name == "ViTMapping" }?.dependencies ?? []
        #expect(mapping.isDisjoint(with: ["ViTSafetensors", "ViTHDF5", "ViTNumpy", "ViTBin", "ViTZip", "ViTNpz", "ViTTorch", "ViTFormats"]))
    }
}
