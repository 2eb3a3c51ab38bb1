public import DispoHost

extension SimHost {
    /// Domain events, found by looking at the store every ``pollInterval`` seconds of the clock (reading it only
    /// when its change stamp moved, so an idle host costs a `stat` per look).
    ///
    /// Yields `.shutdown`, `.crashed` and `.unpaused` (paused -> running, by anyone) per domain, and one `.changed`
    /// for any other difference (a domain added, destroyed or re-made, other power changes, metadata). Memory
    /// moving and host-wide metadata are not events. Ends when the consumer stops iterating.
    ///
    /// On a ``VirtualClock`` each poll's sleep moves virtual time forward by the interval.
    public func events() -> AsyncStream<HostEvent> {
        let store = self.store
        let clock = self.clock
        let interval = pollInterval
        return AsyncStream { continuation in
            let task = Task {
                var previous: [DomainSummary]?
                var stamp: UInt64?
                while !Task.isCancelled {
                    let current = store.changeStamp()
                    if current != stamp, let state = try? await store.read() {
                        stamp = current
                        let current = state.domains.map(DomainSummary.init)
                        if let previous {
                            for event in Self.events(from: previous, to: current) { continuation.yield(event) }
                        }
                        previous = current
                    }
                    do { try await clock.sleep(seconds: interval) } catch { break }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// What events tell about a domain.
    struct DomainSummary: Sendable, Hashable {
        var name: String
        var domid: Int
        var power: PowerState
        var metadata: [String: String]

        init(_ domain: SimDomain) {
            name = domain.name
            domid = domain.domid
            power = domain.power
            metadata = domain.metadata
        }
    }

    /// The events between two looks, per domain in the order of `current`, then `.changed` when anything else differs.
    static func events(from previous: [DomainSummary], to current: [DomainSummary]) -> [HostEvent] {
        var events: [HostEvent] = []
        var changed = previous.count != current.count
        let before = Dictionary(previous.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for domain in current {
            guard let old = before[domain.name], old.domid == domain.domid else {
                changed = true
                if let event = event(for: domain.name, from: nil, to: domain.power) { events.append(event) }
                continue
            }
            if old.power != domain.power {
                if let event = event(for: domain.name, from: old.power, to: domain.power) {
                    events.append(event)
                } else {
                    changed = true
                }
            }
            if old.metadata != domain.metadata { changed = true }
        }
        if changed { events.append(.changed) }
        return events
    }

    private static func event(for name: String, from old: PowerState?, to new: PowerState) -> HostEvent? {
        switch (old, new) {
        case (_, .halted): return .shutdown(name)
        case (_, .crashed): return .crashed(name)
        case (.paused?, .running): return .unpaused(name)
        default: return nil
        }
    }
}
