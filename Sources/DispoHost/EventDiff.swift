/// The events between two looks at a host's domains; pure. Backends that find events by comparing snapshots
/// (the simulated host, Xen for pause changes) share it.
public enum EventDiff {
    /// What events tell about a domain.
    public struct Summary: Sendable, Hashable {
        public var name: String
        public var domid: Int
        public var power: PowerState
        public var metadata: [String: String]

        public init(name: String, domid: Int, power: PowerState, metadata: [String: String] = [:]) {
            self.name = name
            self.domid = domid
            self.power = power
            self.metadata = metadata
        }

        public init(_ domain: Domain) {
            self.init(name: domain.name, domid: domain.domid, power: domain.power, metadata: domain.metadata)
        }
    }

    /// `.shutdown` / `.crashed` for each domain that became halted / crashed (or appeared so), `.unpaused` for
    /// paused -> running, in the order of `current`; then one `.changed` when anything else differs (a domain
    /// added, gone or re-made, another power change, metadata).
    public static func events(from previous: [Summary], to current: [Summary]) -> [HostEvent] {
        var events: [HostEvent] = []
        var changed = previous.count != current.count
        let before = Dictionary(previous.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for domain in current {
            guard let old = before[domain.name], old.domid == domain.domid else {
                changed = true
                if let event = event(domain.name, from: nil, to: domain.power) { events.append(event) }
                continue
            }
            if old.power != domain.power {
                if let event = event(domain.name, from: old.power, to: domain.power) {
                    events.append(event)
                } else {
                    changed = true
                }
            }
            if old.metadata != domain.metadata { changed = true }
        }
        if !changed {
            let names = Set(current.map(\.name))
            changed = previous.contains { !names.contains($0.name) }
        }
        if changed { events.append(.changed) }
        return events
    }

    private static func event(_ name: String, from old: PowerState?, to new: PowerState) -> HostEvent? {
        switch (old, new) {
        case (_, .halted): return .shutdown(name)
        case (_, .crashed): return .crashed(name)
        case (.paused?, .running): return .unpaused(name)
        default: return nil
        }
    }
}
