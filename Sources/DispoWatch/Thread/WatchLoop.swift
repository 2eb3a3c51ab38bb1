import CInotifyTools

#if canImport(Glibc)
    import Glibc
#endif

/// The body of the watcher thread: sleep in `poll` until an event, collect the burst until `debounce` passes
/// without a relevant event, re-establish every watch from scratch, then yield one `ConfigChange`.
///
/// All libinotifytools calls happen here, on this one thread. While some watch cannot be set the loop also
/// ticks every `fallbackInterval` (and tries to watch again each time), so the consumer still rescans.
final class WatchLoop {
    struct Configuration: Sendable {
        var directory: String
        var debounce: Duration
        var options: WatchOptions
        /// The eventfd `stop()` writes.
        var wake: Int32
    }

    private enum Wake {
        case stop, events, deadline
    }

    private let configuration: Configuration
    private let control: WatchControl
    private let clock = ContinuousClock()
    private var walker: WatchWalker?
    private var hasLibrary = false
    private var degraded = false
    private var lastEstablished: ContinuousClock.Instant

    init(_ configuration: Configuration, control: WatchControl) {
        self.configuration = configuration
        self.control = control
        lastEstablished = clock.now
    }

    private var options: WatchOptions { configuration.options }

    func run() {
        _ = dispo_name_current_thread("dispo-watch")
        let control = control
        hasLibrary = LibraryLease.acquire(waitingUpTo: options.libraryWait) { control.isStopped }
        defer {
            walker?.session.close()
            walker = nil
            if hasLibrary { LibraryLease.release() }
        }
        establish()
        while !control.isStopped, let change = nextTick() {
            control.yield(change)
        }
    }

    /// Waits for the next tick: a settled burst, or a fallback tick while degraded; `nil` when stopped.
    /// Watches are re-established before returning.
    private func nextTick() -> ConfigChange? {
        var burst: Burst?
        while true {
            let deadline: ContinuousClock.Instant?
            if let burst {
                deadline = min(
                    burst.lastEventAt + configuration.debounce, burst.firstEventAt + options.longestBurst)
            } else {
                deadline = degraded ? lastEstablished + options.fallbackInterval : nil
            }
            if let deadline, clock.now >= deadline {
                establish()
                let now = clock.now
                return burst?.change ?? ConfigChange(events: 0, firstEventAt: now, lastEventAt: now, paths: [])
            }
            switch wait(until: deadline) {
            case .stop: return nil
            case .deadline: continue
            case .events: absorb(into: &burst)
            }
        }
    }

    /// Sleeps in `poll` on the stop eventfd and the inotify descriptor until one is ready or `deadline`.
    private func wait(until deadline: ContinuousClock.Instant?) -> Wake {
        var descriptors = [pollfd(fd: configuration.wake, events: Int16(POLLIN), revents: 0)]
        if let walker {
            descriptors.append(pollfd(fd: walker.session.descriptor, events: Int16(POLLIN), revents: 0))
        }
        let timeout = deadline.map(milliseconds(until:)) ?? -1
        let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
        if ready < 0 {
            if errno != EINTR { usleep(100_000) }  // cannot happen with valid descriptors; never spin
            return .deadline
        }
        if descriptors[0].revents != 0 { return .stop }
        if descriptors.count > 1, descriptors[1].revents != 0 { return .events }
        return .deadline
    }

    /// Reads the ready events into the burst; watches new folders of the tree at once.
    private func absorb(into burst: inout Burst?) {
        guard var walker else { return }
        let now = clock.now
        switch walker.session.read() {
        case .failure(let error):
            // A broken descriptor: drop it, tick soon, and let `establish` start over.
            walker.session.close()
            self.walker = nil
            degrade(WatchProblem("reading inotify events failed: \(error)"))
            if burst == nil { burst = Burst(startedAt: now) }
            burst?.record(configuration.directory, at: now)
        case .success(let events):
            for event in events {
                if let folder = walker.watches.newTreeFolder(event) {
                    walker.watchTree(folder, depth: 0)
                }
                guard let path = walker.watches.relevantPath(event) else { continue }
                if burst == nil { burst = Burst(startedAt: now) }
                burst?.record(path, at: now)
            }
            self.walker = walker
        }
    }

    /// Clears every watch and sets them again (a fresh inotify instance), resolving the path anew.
    private func establish() {
        walker?.session.close()
        walker = nil
        defer {
            lastEstablished = clock.now
            control.didEstablish()
        }
        if !hasLibrary { hasLibrary = LibraryLease.tryAcquire() }
        guard hasLibrary else {
            degrade(WatchProblem("another ConfigWatcher in this process is using libinotifytools"))
            return
        }
        switch InotifySession.open(watchLimit: options.watchLimit) {
        case .failure(let problem):
            degrade(problem)
        case .success(let session):
            var walker = WatchWalker(session: session)
            walker.watchConfig(at: configuration.directory)
            self.walker = walker
            if let first = walker.problems.first {
                degrade(first, more: walker.problems.count - 1)
            } else {
                degraded = false
                control.report(nil)
            }
        }
    }

    private func degrade(_ problem: WatchProblem, more: Int = 0) {
        degraded = true
        let others = more > 0 ? " (and \(more) more)" : ""
        control.report("\(problem)\(others); rescanning every \(options.fallbackInterval) until it can watch")
    }

    private func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let remaining = clock.now.duration(to: deadline)
        guard remaining > .zero else { return 0 }
        let (seconds, attoseconds) = remaining.components
        return Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}
