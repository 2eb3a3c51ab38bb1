import DispoHost

/// One domain the process holding the host (a controller) is working on now: an entry of `in_flight` in
/// `dispo diff --json` and `GET /v1/plan`.
package struct InFlightEntry: Sendable, Codable, Equatable {
    package var name: String
    /// A job's `create`, `start`, `stop`, `restart`, `destroy` or `relabel`, or `hand-out` (a request taking it).
    package var op: String
    /// `preload`, `named` or `unnamed`; null when not known (a hand-out).
    package var role: String?
    /// The disposable template; null when not known.
    package var template: String?

    package init(name: String, op: String, role: String?, template: String?) {
        self.name = name
        self.op = op
        self.role = role
        self.template = template
    }
}

/// What the process holding the host is doing, as a one-shot plan beside it (`dispo diff`) sees it: the plan
/// leaves that work alone instead of calling its half-made domains interrupted.
package enum HolderWork: Sendable, Equatable {
    /// Its work as its API serves it (`in_flight` of `GET /v1/plan`).
    case known([InFlightEntry])
    /// It serves no API that answers: every owned domain half-made (stage creating, starting or requested) and
    /// still up is taken as its work.
    case halfMade
}

extension PlanInput {
    /// Leaves alone what the host's holder does. `before` and `after` are its work seen just before and just
    /// after ``snapshot`` was taken, so that a job that began or ended meanwhile still counts as in flight. Every
    /// preload creation counts as one being made (the planner leaves its domain out of the queue it counts).
    /// Returns the entries left alone, by name.
    package mutating func leave(_ before: HolderWork, _ after: HolderWork) -> [InFlightEntry] {
        var entries: [String: InFlightEntry] = [:]
        for work in [before, after] {
            for entry in work.entries(in: snapshot) { entries[entry.name] = entry }
        }
        let sorted = entries.values.sorted { $0.name < $1.name }
        for entry in sorted {
            inFlight.insert(entry.name)
            if entry.op == Action.Op.create.rawValue, entry.role == Role.preload.rawValue, let template = entry.template {
                creatingPreloads[template, default: 0] += 1
            }
        }
        return sorted
    }
}

extension HolderWork {
    /// The entries this work stands for on `snapshot`.
    func entries(in snapshot: HostSnapshot) -> [InFlightEntry] {
        switch self {
        case .known(let entries):
            return entries
        case .halfMade:
            return snapshot.domains.compactMap { domain in
                guard domain.isOwned, !ObservedDomains.isDown(domain),
                    let stage = domain.metadata[MetadataKey.stage].flatMap(Stage.init(rawValue:)),
                    [.creating, .starting, .requested].contains(stage)
                else { return nil }
                let role = domain.metadata[MetadataKey.role]
                let op: Action.Op = role == Role.named.rawValue ? .start : .create
                return InFlightEntry(name: domain.name, op: stage == .requested ? "hand-out" : op.rawValue, role: role,
                    template: domain.metadata[MetadataKey.template])
            }
        }
    }
}
