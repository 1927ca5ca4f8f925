import ViTModel
import Dispatch
import Synchronization

/// Hands out chunk indices to workers, first come first served.
private final class ChunkQueue: Sendable {
    let next = Atomic<Int>(0)
}

/// Runs chunks of work on a fixed number of threads with `DispatchQueue.concurrentPerform`.
///
/// Workers pull chunk indices from a shared counter, so a thread that the OS delays simply takes
/// fewer chunks. Bodies capture raw pointers and are not `@Sendable`: every parallel loop of the
/// forward pass writes disjoint ranges of its buffers and only reads shared ones, which is what
/// makes the `nonisolated(unsafe)` hand-over below sound.
struct Parallel: Sendable {
    /// Threads to use (1 runs everything on the calling thread).
    let threads: Int

    /// Calls `body(chunk)` once for every chunk in 0..<chunks, on up to `threads` threads.
    func forChunks(_ chunks: Int, _ body: (Int) -> Void) {
        let workers = min(threads, chunks)
        if workers <= 1 {
            for c in 0..<chunks { body(c) }
            return
        }
        let queue = ChunkQueue()
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while true {
                    let c = queue.next.wrappingAdd(1, ordering: .relaxed).oldValue
                    if c >= chunks { break }
                    body(c)
                }
            }
        }
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
