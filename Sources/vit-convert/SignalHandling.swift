import Dispatch
import ViTConvert
#if canImport(Glibc)
import Glibc
#endif

/// Turns Ctrl-C, SIGTERM and SIGHUP into a cancellation between tensors (so the temporary output is
/// removed and nothing is written), and ignores SIGXFSZ so a file-size limit surfaces as a write error.
final class SignalHandling {
    private var sources: [DispatchSourceSignal] = []

    init(_ cancellation: Cancellation) {
        signal(SIGXFSZ, SIG_IGN)
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { cancellation.cancel() }
            s.resume()
            sources.append(s)
        }
    }
}
