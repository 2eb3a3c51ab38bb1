public import DispoHost

extension SimHost {
    /// Domain events, found by looking at the store every ``pollInterval`` seconds of the clock (reading it only
    /// when its change stamp moved, so an idle host costs a `stat` per look).
    ///
    /// Yields `.shutdown`, `.crashed` and `.unpaused` (paused -> running, by anyone) per domain, and one `.changed`
    /// for any other difference (a domain added, destroyed or re-made, other power changes, metadata). Memory
    /// moving and host-wide metadata are not events. A change between this call and the first look is told as one
    /// `.changed`. Ends when the consumer stops iterating.
    ///
    /// On a ``VirtualClock`` each poll's sleep moves virtual time forward by the interval.
    public func events() -> AsyncStream<HostEvent> {
        let store = self.store
        let clock = self.clock
        let interval = pollInterval
        let subscribed = store.changeStamp()
        return AsyncStream { continuation in
            let task = Task {
                var previous: [EventDiff.Summary]?
                var stamp: UInt64?
                while !Task.isCancelled {
                    let current = store.changeStamp()
                    if current != stamp, let state = try? await store.read() {
                        stamp = current
                        let summaries = state.domains.map {
                            EventDiff.Summary(name: $0.name, domid: $0.domid, power: $0.power, metadata: $0.metadata)
                        }
                        if let previous {
                            for event in EventDiff.events(from: previous, to: summaries) { continuation.yield(event) }
                        } else if store.changeStamp() != subscribed {
                            continuation.yield(.changed)
                        }
                        previous = summaries
                    }
                    do { try await clock.sleep(seconds: interval) } catch { break }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
