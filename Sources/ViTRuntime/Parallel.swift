import ViTModel

/// Runs chunks of work on a fixed number of threads: the calling thread and a workspace's
/// `WorkerPool`.
///
/// Workers pull chunk indices from a shared counter, so a thread that the OS delays simply takes
/// fewer chunks. Bodies capture raw pointers and are not `@Sendable`: every parallel loop of the
/// forward pass writes disjoint ranges of its buffers and only reads shared ones.
struct Parallel {
    /// The threads (the caller's among them).
    let pool: WorkerPool

    /// Threads to use (1 runs everything on the calling thread).
    var threads: Int { pool.threads }

    /// Calls `body(chunk)` once for every chunk in 0..<chunks, on up to `threads` threads.
    func forChunks(_ chunks: Int, _ body: (Int) -> Void) {
        pool.forChunks(chunks, body)
    }

    /// Part `t` of `parts` of 0..<count, inner boundaries rounded to multiples of `alignment`.
    static func part(_ t: Int, of parts: Int, count: Int, alignment: Int = 1) -> Range<Int> {
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
