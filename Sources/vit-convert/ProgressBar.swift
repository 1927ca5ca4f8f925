import Dispatch
import ViTCLI
import ViTConvert

/// A progress bar on stderr for inputs over 100 MB, redrawn at most every 100 ms.
final class ProgressBar {
    /// Inputs at least this large get a bar.
    static let threshold = 100_000_000
    private let enabled: Bool
    private var shown = false
    private var last: UInt64 = 0

    /// - Parameter enabled: draw at all (stderr is a terminal and --quiet was not given).
    init(enabled: Bool) { self.enabled = enabled }

    func update(_ p: ConversionProgress) {
        guard enabled, p.totalBytes >= ProgressBar.threshold else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard !shown || now - last >= 100_000_000 || p.tensorsDone == p.tensorCount else { return }
        last = now
        shown = true
        emit("\r\u{1B}[K" + p.bar())
    }

    /// Erases the bar.
    func clear() {
        guard shown else { return }
        shown = false
        emit("\r\u{1B}[K")
    }

    private func emit(_ s: String) { writeStandardError(s) }
}
