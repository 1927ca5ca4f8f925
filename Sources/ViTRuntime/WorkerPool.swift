import Foundation
import Synchronization
internal import CBLAS

/// Worker threads that stay awake between the parallel loops of one forward pass.
///
/// A forward pass of a small model is dozens of short parallel loops (ViT-Ti/16 at batch 1: 61 loops
/// of about 0.25 ms). Waking sleeping threads for each loop, as `DispatchQueue.concurrentPerform`
/// does, costs tens of microseconds a time; these workers instead spin on a generation counter for a
/// short while after each loop (`idleSpin`, far longer than the gap between two loops of a forward
/// pass) and only then sleep on a condition variable, so an idle model costs no CPU. While threads of
/// the pool keep being preempted (a busy machine), nobody spins: a spinning thread would hold the core
/// its partner needs (`adapt()`).
///
/// The caller never waits for a worker that has not started: it runs every chunk nobody else took
/// and waits only for chunks that are actually running. So on a machine whose other cores are busy,
/// a descheduled worker delays nothing.
///
/// Protocol: `generation` is odd while a loop is open. A worker announces itself in `active`, then
/// re-reads `generation`; only if the loop is still open does it read `body` and claim chunks. The
/// caller, once every chunk is done, closes the loop (even generation) and waits for `active` to
/// drain before it touches `body` again. One pool serves one caller at a time (it lives in a
/// `ViTWorkspace`, which is not thread-safe).
///
/// Loop bodies capture raw pointers and are not `@Sendable`: every parallel loop of the forward pass
/// writes disjoint ranges of its buffers and only reads shared ones, which is what makes handing them
/// to the workers sound.
final class WorkerPool: @unchecked Sendable {
    /// Threads that run chunks, the calling thread included.
    let threads: Int

    /// Odd while a loop is open; bumped (sequentially consistent) to open and to close one.
    private let generation = Atomic<Int>(0)
    /// Next chunk index to hand out.
    private let nextChunk = Atomic<Int>(0)
    /// Chunks finished in the current loop.
    private let finished = Atomic<Int>(0)
    /// Workers between announcing themselves and leaving the current loop.
    private let active = Atomic<Int>(0)
    /// Workers asleep (or about to sleep) on `wake`.
    private let sleepers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let wake = NSCondition()
    /// True while the caller sleeps on `done` for running chunks.
    private let callerAsleep = Atomic<Bool>(false)
    private let done = NSCondition()
    /// Whether waiting threads spin before they sleep: on while no thread of the pool has been
    /// preempted lately (see `adapt()`).
    private let spinning = Atomic<Bool>(true)
    /// Involuntary context switches of the workers so far (each adds its own as they happen).
    private let workerPreemptions = Atomic<Int>(0)
    /// Caller-side bookkeeping for `adapt()`.
    private var loopsSinceCheck = 0, preemptionsAtCheck = 0, contention = 0
    /// The open loop; written only while no loop is open and no worker is active.
    private var body: ((Int) -> Void)?
    private var chunks = 0

    /// How long an idle worker spins before it sleeps.
    private static let idleSpin: UInt64 = 100_000  // ns
    /// How long the caller spins on running chunks before it sleeps until they finish.
    private static let waitSpin: UInt64 = 50_000  // ns

    /// Starts `threads - 1` worker threads.
    init(threads: Int) {
        self.threads = max(1, threads)
        for _ in 1..<self.threads {
            let t = Thread { [self] in work() }
            t.stackSize = 1 << 20
            t.start()
        }
    }

    /// Ends the worker threads once they finish what they are doing.
    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        generation.add(2, ordering: .sequentiallyConsistent)
        wake.lock(); wake.broadcast(); wake.unlock()
    }

    /// Calls `body(chunk)` once for every chunk in 0..<chunks on the calling thread and the workers;
    /// returns when all are done. Chunks are handed out first come, first served.
    func forChunks(_ chunks: Int, _ body: (Int) -> Void) {
        if threads == 1 || chunks <= 1 {
            for c in 0..<chunks { body(c) }
            return
        }
        adapt()
        withoutActuallyEscaping(body) { body in
            self.body = body
            self.chunks = chunks
            nextChunk.store(0, ordering: .relaxed)
            finished.store(0, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)  // open
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                wake.lock(); wake.broadcast(); wake.unlock()
            }
            runChunks(body, chunks)
            waitForChunks(chunks)
            generation.add(1, ordering: .sequentiallyConsistent)  // close
            // Workers leave at once (there is nothing left to claim); yield only if one was preempted.
            while !Self.spin(for: Self.waitSpin, until: { active.load(ordering: .sequentiallyConsistent) == 0 }) {
                sched_yield()
            }
            self.body = nil
        }
    }

    /// Every 8 loops, turns spinning off if a thread of the pool was preempted since the last check,
    /// on if none was. Spinning pays on an idle machine (a waiting thread reacts within a microsecond);
    /// on a busy one a spinning thread keeps the core from the thread it waits for, and sleeping at
    /// once (as `DispatchQueue.concurrentPerform` does) is faster.
    private func adapt() {
        loopsSinceCheck += 1
        guard loopsSinceCheck >= 8 else { return }
        loopsSinceCheck = 0
        let p = Self.involuntarySwitches() + workerPreemptions.load(ordering: .relaxed)
        // Preemptions per window, decaying by a quarter a window, in quarters: one preemption stops
        // spinning for a window; a steady one every few windows (a busy machine) keeps it off.
        contention = contention * 3 / 4 + 4 * (p - preemptionsAtCheck)
        spinning.store(contention < 4, ordering: .relaxed)
        preemptionsAtCheck = p
    }

    /// Involuntary context switches of the calling thread so far.
    private static func involuntarySwitches() -> Int {
        var usage = rusage()
        // RUSAGE_THREAD (1, Linux): Glibc imports it only under _GNU_SOURCE.
        return getrusage(__rusage_who_t(1), &usage) == 0 ? usage.ru_nivcsw : 0
    }

    private func runChunks(_ body: (Int) -> Void, _ chunks: Int) {
        while true {
            let c = nextChunk.wrappingAdd(1, ordering: .relaxed).oldValue
            if c >= chunks { return }
            body(c)
            finished.add(1, ordering: .sequentiallyConsistent)
            if callerAsleep.load(ordering: .sequentiallyConsistent) {
                done.lock(); done.signal(); done.unlock()
            }
        }
    }

    /// Waits until all `chunks` are finished: spins for `waitSpin`, then sleeps until a worker
    /// finishing a chunk wakes it (the core goes to whoever runs that chunk, when the machine is busy).
    private func waitForChunks(_ chunks: Int) {
        func allDone() -> Bool { finished.load(ordering: .sequentiallyConsistent) == chunks }
        let budget = spinning.load(ordering: .relaxed) ? Self.waitSpin : 0
        if Self.spin(for: budget, until: allDone) { return }
        done.lock()
        callerAsleep.store(true, ordering: .sequentiallyConsistent)
        while !allDone() { done.wait() }
        callerAsleep.store(false, ordering: .sequentiallyConsistent)
        done.unlock()
    }

    /// Spins until `ready()` or `nanoseconds` pass (a CPU pause between checks, a `sched_yield` every
    /// 16th); returns whether `ready()` held.
    private static func spin(for nanoseconds: UInt64, until ready: () -> Bool) -> Bool {
        if ready() { return true }
        if nanoseconds == 0 { return false }
        let start = DispatchTime.now().uptimeNanoseconds
        var spins = 0
        while !ready() {
            spins &+= 1
            if spins & 15 == 0 {
                if DispatchTime.now().uptimeNanoseconds - start >= nanoseconds { return false }
                // Hands the core to another runnable thread on it (our partner, on a busy machine);
                // returns at once on a quiet one.
                sched_yield()
            } else {
                vitkit_cpu_relax()
            }
        }
        return true
    }

    /// A worker's life: wait for an open loop it has not served, join it, claim chunks, leave.
    private func work() {
        GEMM.singleThreaded()
        var served = 0
        var loops = 0, preempted = 0
        while true {
            let g = waitForLoop(after: served)
            if stopping.load(ordering: .acquiring) { return }
            served = g
            active.add(1, ordering: .sequentiallyConsistent)
            if generation.load(ordering: .sequentiallyConsistent) == g, let body {
                runChunks(body, chunks)
            }
            active.subtract(1, ordering: .sequentiallyConsistent)
            // Reported once per window of `adapt()`, not per loop: it is a system call.
            loops += 1
            if loops % 8 == 0 {
                let p = Self.involuntarySwitches()
                workerPreemptions.add(p - preempted, ordering: .relaxed)
                preempted = p
            }
        }
    }

    /// Spins, then sleeps, until a loop other than `served` is open (or the pool stops); returns its
    /// generation.
    private func waitForLoop(after served: Int) -> Int {
        func ready(_ g: Int) -> Bool { (g != served && g & 1 == 1) || stopping.load(ordering: .relaxed) }
        var g = 0
        let budget = spinning.load(ordering: .relaxed) ? Self.idleSpin : 0
        if Self.spin(for: budget, until: { g = generation.load(ordering: .acquiring); return ready(g) }) {
            return g
        }
        wake.lock()
        sleepers.add(1, ordering: .sequentiallyConsistent)
        var h = generation.load(ordering: .sequentiallyConsistent)
        while !ready(h) {
            wake.wait()
            h = generation.load(ordering: .sequentiallyConsistent)
        }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        wake.unlock()
        return h
    }
}
