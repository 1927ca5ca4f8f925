#if canImport(Glibc)
import Glibc
#endif

/// One helper thread that runs a posted job (filling the next buffer of a copy) while the caller does
/// something else (writing the previous one), so reading and writing overlap.
///
/// The caller never waits for a job the helper has not started: `finish()` runs a job still pending on
/// the calling thread. On a machine whose other core is busy the copy then simply runs sequentially,
/// instead of stalling until the helper is scheduled.
///
/// One caller at a time; jobs run one after another, each seeing the memory effects of the previous one
/// (the hand-over is under a mutex). Jobs are not `@Sendable`: the caller hands over buffers it does not
/// touch until `finish()` returns.
final class ReadAhead: @unchecked Sendable {
    private enum State { case idle, pending, running }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let posted = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let done = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var job: (() -> Void)?
    private var state = State.idle
    private var stopping = false
    private var thread: pthread_t?

    /// Starts the helper thread; nil when the system refuses a thread (the caller then copies sequentially).
    init?() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(posted, nil)
        pthread_cond_init(done, nil)
        var t = pthread_t()
        let started = pthread_create(&t, nil, { raw in
            Unmanaged<ReadAhead>.fromOpaque(raw!).takeUnretainedValue().serve()
            return nil
        }, Unmanaged.passUnretained(self).toOpaque())
        guard started == 0 else { return nil }
        thread = t
    }

    deinit {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_signal(posted)
        pthread_mutex_unlock(mutex)
        if let thread { pthread_join(thread, nil) }
        pthread_cond_destroy(posted)
        pthread_cond_destroy(done)
        pthread_mutex_destroy(mutex)
        posted.deallocate()
        done.deallocate()
        mutex.deallocate()
    }

    /// Hands `job` to the helper thread (the previous job must be finished).
    func post(_ job: @escaping () -> Void) {
        pthread_mutex_lock(mutex)
        precondition(state == .idle, "ReadAhead: a job was posted before the previous one finished")
        self.job = job
        state = .pending
        pthread_cond_signal(posted)
        pthread_mutex_unlock(mutex)
    }

    /// Returns once the posted job has run: runs it here if the helper has not taken it yet, else waits for it.
    func finish() {
        pthread_mutex_lock(mutex)
        if state == .pending, let job {
            self.job = nil
            state = .running
            pthread_mutex_unlock(mutex)
            job()
            pthread_mutex_lock(mutex)
        } else {
            while state == .running { pthread_cond_wait(done, mutex) }
        }
        state = .idle
        pthread_mutex_unlock(mutex)
    }

    private func serve() {
        pthread_mutex_lock(mutex)
        while true {
            while state != .pending && !stopping { pthread_cond_wait(posted, mutex) }
            if stopping { break }
            let job = self.job!
            self.job = nil
            state = .running
            pthread_mutex_unlock(mutex)
            job()
            pthread_mutex_lock(mutex)
            state = .idle
            pthread_cond_broadcast(done)
        }
        pthread_mutex_unlock(mutex)
    }
}
