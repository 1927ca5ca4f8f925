/// How the forward pass cuts work into chunks for a `WorkerPool`.
enum Parallel {
    /// Chunks per thread of the forward pass's parallel loops (at most): more than one, so a thread the OS
    /// starts late (another process on its core) finds chunks left and the others do not wait for it.
    static let chunksPerThread = 4

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
