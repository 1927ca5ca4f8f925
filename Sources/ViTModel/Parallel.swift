import Dispatch

/// Splits work over a fixed number of threads with `DispatchQueue.concurrentPerform`.
///
/// Bodies capture raw pointers and are not `@Sendable`: every parallel loop of the forward pass
/// writes disjoint ranges of its buffers and only reads shared ones, which is what makes the
/// `nonisolated(unsafe)` hand-over below sound.
struct Parallel: Sendable {
    /// Threads to use (1 runs everything on the calling thread).
    let threads: Int

    /// Below this rough cost (multiply-adds or element updates) a loop is not worth a thread hop.
    var minimumWork = 32_768

    /// Calls `body(range)` for near-equal contiguous parts of 0..<count, one per thread, with the
    /// inner boundaries rounded to multiples of `alignment`; runs inline when `work` is small.
    func forRanges(_ count: Int, work: Int = .max, alignment: Int = 1, _ body: (Range<Int>) -> Void) {
        let parts = min(threads, count / max(alignment, 1))
        if parts <= 1 || work < minimumWork {
            if count > 0 { body(0..<count) }
            return
        }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: parts) { t in
                let r = Parallel.part(t, of: parts, count: count, alignment: alignment)
                if !r.isEmpty { body(r) }
            }
        }
    }

    /// Calls `body(index, thread)` for every index of 0..<count, spread over the threads in
    /// contiguous blocks; `thread` (in 0..<threads) selects per-thread scratch space.
    func forEach(_ count: Int, _ body: (Int, Int) -> Void) {
        let parts = min(threads, count)
        if parts <= 1 {
            for i in 0..<count { body(i, 0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: parts) { t in
                for i in Parallel.part(t, of: parts, count: count, alignment: 1) { body(i, t) }
            }
        }
    }

    /// Part `t` of `parts` of 0..<count, inner boundaries rounded to multiples of `alignment`.
    static func part(_ t: Int, of parts: Int, count: Int, alignment: Int) -> Range<Int> {
        func bound(_ i: Int) -> Int {
            if i <= 0 { return 0 }
            if i >= parts { return count }
            let raw = count * i / parts
            return min(count, (raw + alignment / 2) / alignment * alignment)
        }
        let lo = bound(t)
        return lo..<max(lo, bound(t + 1))
    }
}
