import CXenLight
import DispoHost
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The stop flag and wake-up eventfd of a dedicated thread that sleeps in `poll` (the xenstore watch thread,
/// the libxl event thread), shared by the thread and its owner.
final class PollThreadControl: Sendable {
    private struct State {
        var stopped = false
        /// -1 once the thread ended (it closed the descriptor).
        var wake: Int32
    }

    private let state: Mutex<State>
    /// The eventfd the thread polls besides its own descriptors; readable after ``wake()`` or ``stop()``.
    let descriptor: Int32

    /// Creates the eventfd; `purpose` names it in the error.
    init(for purpose: String) throws(HostError) {
        let wake = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard wake >= 0 else {
            throw HostError(.unavailable, "cannot create an eventfd for \(purpose): \(Xenstore.describe(errno))")
        }
        descriptor = wake
        state = Mutex(State(wake: wake))
    }

    /// Makes the thread's `poll` return (it then looks at what changed).
    func wake() {
        state.withLock { state in
            if state.wake >= 0 { eventfd_write(state.wake, 1) }
        }
    }

    /// Asks the thread to end.
    func stop() {
        state.withLock { state in
            state.stopped = true
            if state.wake >= 0 { eventfd_write(state.wake, 1) }
        }
    }

    var isStopped: Bool { state.withLock { $0.stopped } }

    /// For the thread, after `poll` said the eventfd is readable.
    func drain() {
        var value: eventfd_t = 0
        _ = eventfd_read(descriptor, &value)
    }

    /// For the thread, as it ends: nobody writes the eventfd any more, and it is closed.
    func threadDidExit() {
        state.withLock { state in
            state.wake = -1
            state.stopped = true
        }
        close(descriptor)
    }
}
