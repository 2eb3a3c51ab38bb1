import Foundation
import Synchronization

/// The controller's events: numbered, the newest ``capacity`` kept for late subscribers, and pushed to every
/// subscriber as they happen. A subscriber that falls ``capacity`` events behind loses the oldest (never blocks
/// the controller).
final class EventLog: Sendable {
    static let capacity = 1000

    private struct State {
        var next = 1
        var recent: [ControllerEvent] = []
        var subscribers: [UUID: AsyncStream<ControllerEvent>.Continuation] = [:]
    }

    private let state = Mutex(State())

    /// Numbers and stamps `event`, keeps it and sends it to every subscriber.
    func append(_ event: ControllerEvent) {
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
    func subscribe(since: Int?) -> AsyncStream<ControllerEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: ControllerEvent.self, bufferingPolicy: .bufferingNewest(Self.capacity))
        let id = UUID()
        state.withLock { state in
            if let since { for event in state.recent where event.seq > since { continuation.yield(event) } }
            state.subscribers[id] = continuation
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Ends every subscriber's stream (the daemon is stopping).
    func finish() {
        let continuations = state.withLock { state in
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for continuation in continuations { continuation.finish() }
    }

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }
}
