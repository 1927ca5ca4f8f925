import Foundation

/// The repository's folders, found from this file's location (Tests/ViTTestSupport/Fixtures.swift).
public enum Fixtures {
    /// The repository (package) root.
    public static let repository: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    /// The `fixtures` folder.
    public static let root: URL = repository.appendingPathComponent("fixtures")

    /// The path of `relative` under `fixtures/`.
    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// The URL of `relative` under `fixtures/`.
    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }
}
