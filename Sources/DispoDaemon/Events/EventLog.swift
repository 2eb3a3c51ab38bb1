import Foundation
import Synchronization

/// The controller's events: numbered, the newest ``capacity`` kept for late subscribers, and pushed to every
/// subscriber as they happen. A subscriber that falls ``capacity`` events behind loses the oldest (never blocks
/// the controller).
package final class EventLog: Sendable {
    static let capacity = 1000

    private struct State {
        var next = 1
        var recent: [ControllerEvent] = []
        var subscribers: [UUID: AsyncStream<ControllerEvent>.Continuation] = [:]
        var finished = false
    }

    private let state = Mutex(State())

    package init() {}

    /// Numbers and stamps `event`, keeps it and sends it to every subscriber.
    package func append(_ event: ControllerEvent) {
        var event = event
        event.at = ISOTime.format(Date().timeIntervalSince1970)
        state.withLock { state in
            event.seq = state.next
            state.next += 1
            state.recent.append(event)
            if state.recent.count > Self.capacity { state.recent.removeFirst(state.recent.count - Self.capacity) }
            for continuation in state.subscribers.values { continuation.yield(event) }
        }
    }

    /// Every kept event after `since` (none when nil), then each new one until the stream is dropped.
    package func subscribe(since: Int?) -> AsyncStream<ControllerEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: ControllerEvent.self, bufferingPolicy: .bufferingNewest(Self.capacity))
        let id = UUID()
        let finished = state.withLock { state in
            if let since { for event in state.recent where event.seq > since { continuation.yield(event) } }
            if !state.finished { state.subscribers[id] = continuation }
            return state.finished
        }
        if finished { continuation.finish() }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// The kept events after `since`, waiting up to `timeout` for one when there is none yet (a long poll); empty
    /// after the timeout, or at once when the log has finished.
    package func events(after since: Int, waiting timeout: Duration) async -> [ControllerEvent] {
        let now = kept(after: since)
        guard now.isEmpty, !finished else { return now }
        let stream = subscribe(since: since)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await _ in stream { return } }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        return kept(after: since)
    }

    /// The number of the newest event (0 before the first).
    package var last: Int { state.withLock { $0.next - 1 } }

    private func kept(after since: Int) -> [ControllerEvent] {
        state.withLock { state in state.recent.filter { $0.seq > since } }
    }

    private var finished: Bool { state.withLock { $0.finished } }

    /// Ends every subscriber's stream (the daemon is stopping).
    package func finish() {
        let continuations = state.withLock { state in
            defer {
                state.subscribers = [:]
                state.finished = true
            }
            return Array(state.subscribers.values)
        }
        for continuation in continuations { continuation.finish() }
    }

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }
}
