import CInotifyTools
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The state shared between the watcher thread and its callers: the stop flag, the eventfd that wakes the thread,
/// the stream continuations and the current problem. Everything behind one `Mutex`.
final class WatchControl: Sendable {
    private struct State {
        var started = false
        var stopped = false
        var threadRunning = false
        /// The eventfd the thread polls next to inotify; -1 once the thread closed it (never written after that).
        var wake: Int32 = -1
        var changes: AsyncStream<ConfigChange>.Continuation?
        var lastProblem: String?
        var establishments = 0
    }

    private let state = Mutex(State())
    private let problemSink: AsyncStream<String>.Continuation

    init(problemSink: AsyncStream<String>.Continuation) {
        self.problemSink = problemSink
    }

    /// Claims the single start; returns the eventfd for the thread, or `nil` if already started or stopped.
    func start(_ changes: AsyncStream<ConfigChange>.Continuation) -> Int32? {
        state.withLock { state -> Int32? in
            guard !state.started, !state.stopped else { return nil }
            let wake = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
            guard wake >= 0 else { return nil }
            state.started = true
            state.threadRunning = true
            state.wake = wake
            state.changes = changes
            return wake
        }
    }

    /// Marks the watcher stopped, wakes the thread and finishes both streams. Idempotent.
    func stop() {
        let changes = state.withLock { state -> AsyncStream<ConfigChange>.Continuation? in
            guard !state.stopped else { return nil }
            state.stopped = true
            if state.wake >= 0 { eventfd_write(state.wake, 1) }
            defer { state.changes = nil }
            return state.changes
        }
        changes?.finish()
        problemSink.finish()
    }

    var isStopped: Bool { state.withLock { $0.stopped } }

    /// Hands a tick to the consumer (the stream keeps only the newest unread one).
    func yield(_ change: ConfigChange) {
        let changes = state.withLock { $0.stopped ? nil : $0.changes }
        changes?.yield(change)
    }

    /// Sets the current problem (`nil`: watching fully again); each new problem also goes to `problems`.
    func report(_ problem: String?) {
        let isNew = state.withLock { state -> Bool in
            defer { state.lastProblem = problem }
            return problem != nil && problem != state.lastProblem
        }
        if isNew, let problem { problemSink.yield(problem) }
    }

    var lastProblem: String? { state.withLock { $0.lastProblem } }

    /// Counts a completed (re-)establishment of the watches.
    func didEstablish() { state.withLock { $0.establishments += 1 } }

    /// How many times the thread has set its watches (tests wait for the first one).
    var establishments: Int { state.withLock { $0.establishments } }

    /// Whether the watcher thread is still running.
    var threadRunning: Bool { state.withLock { $0.threadRunning } }

    /// Called last on the watcher thread: closes the eventfd and finishes the streams.
    func threadDidExit() {
        state.withLock { state in
            if state.wake >= 0 { close(state.wake) }
            state.wake = -1
            state.threadRunning = false
        }
        stop()
    }
}

/// libinotifytools keeps one global instance per process, so only one watcher thread may use it at a time.
enum LibraryLease {
    private static let held = Mutex(false)

    /// Takes the lease if it is free.
    static func tryAcquire() -> Bool {
        held.withLock { held in
            guard !held else { return false }
            held = true
            return true
        }
    }

    /// Takes the lease, waiting up to `limit` (in 10 ms naps) for another watcher to let go, unless `stopped`.
    static func acquire(waitingUpTo limit: Duration, stopped: () -> Bool) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while !tryAcquire() {
            guard clock.now < deadline, !stopped() else { return false }
            usleep(10_000)
        }
        return true
    }

    static func release() { held.withLock { $0 = false } }
}
