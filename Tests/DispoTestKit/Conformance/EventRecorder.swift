import DispoHost
import Synchronization

/// Reads a host's event stream on a task of its own and keeps every event, so that a check can ask for one that
/// came after a given point (``mark``) without racing the stream.
final class EventRecorder: Sendable {
    private struct Waiter {
        var from: Int
        var matches: @Sendable (HostEvent) -> Bool
        var continuation: CheckedContinuation<HostEvent?, Never>
    }

    private struct State {
        var events: [HostEvent] = []
        var waiters: [Int: Waiter] = [:]
        /// Waits whose time ran out before they were registered.
        var expired: Set<Int> = []
        var nextID = 0
    }

    private let state = Mutex(State())
    private let reader = Mutex<Task<Void, Never>?>(nil)

    init(_ stream: AsyncStream<HostEvent>) {
        let task = Task { [weak self] in
            for await event in stream {
                guard let self else { return }
                self.append(event)
            }
        }
        reader.withLock { $0 = task }
    }

    deinit {
        stop()
    }

    /// Ends the stream (the backend stops watching).
    func stop() {
        reader.withLock { $0?.cancel() }
    }

    /// How many events came so far: events from here on came after this moment.
    var mark: Int { state.withLock { $0.events.count } }

    /// The events after `mark`.
    func events(after mark: Int) -> [HostEvent] { state.withLock { Array($0.events.dropFirst(mark)) } }

    /// The first event after `mark` that `matches`, waiting for it up to `timeout`; nil when none came.
    func first(
        after mark: Int, within timeout: Duration, where matches: @escaping @Sendable (HostEvent) -> Bool
    )
        async -> HostEvent?
    {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        let timer = Task { [weak self] in
            do { try await Task.sleep(for: timeout) } catch { return }  // cancelled: the event came
            self?.resume(id, with: nil)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let found = state.withLock { state -> HostEvent?? in
                if let event = state.events.dropFirst(mark).first(where: matches) { return .some(event) }
                if state.expired.remove(id) != nil { return .some(nil) }
                state.waiters[id] = Waiter(from: mark, matches: matches, continuation: continuation)
                return .none
            }
            if let found { continuation.resume(returning: found) }
        }
    }

    /// Returns once no event came for `quiet`, or fails after `patience`.
    func settle(quiet: Duration, patience: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: patience)
        while clock.now < deadline {
            if await first(after: mark, within: quiet, where: { _ in true }) == nil { return }
        }
        throw ConformanceFailure("the event stream never went quiet for \(quiet) within \(patience)")
    }

    private func append(_ event: HostEvent) {
        let due = state.withLock { state -> [(CheckedContinuation<HostEvent?, Never>, HostEvent)] in
            state.events.append(event)
            let index = state.events.count - 1
            var due: [(CheckedContinuation<HostEvent?, Never>, HostEvent)] = []
            for (id, waiter) in state.waiters where index >= waiter.from && waiter.matches(event) {
                due.append((waiter.continuation, event))
                state.waiters[id] = nil
            }
            return due
        }
        for (continuation, event) in due { continuation.resume(returning: event) }
    }

    private func resume(_ id: Int, with event: HostEvent?) {
        let waiter = state.withLock { state -> Waiter? in
            guard let waiter = state.waiters.removeValue(forKey: id) else {
                state.expired.insert(id)
                return nil
            }
            return waiter
        }
        waiter?.continuation.resume(returning: event)
    }
}
