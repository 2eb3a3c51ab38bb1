import DispoConfig
import DispoHost

/// What `dispo diff --json` prints and `GET /v1/plan` serves (decoded by a `diff` beside the controller).
package struct DiffReport: Sendable, Codable {
    package struct Entry: Sendable, Codable {
        package var op: String
        package var role: String
        package var template: String
        package var name: String?
        package var reason: String
        package var pending: Bool
        package var detail: String

        enum CodingKeys: String, CodingKey {
            case op, role, template, name, reason, pending, detail
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(op, forKey: .op)
            try container.encode(role, forKey: .role)
            try container.encode(template, forKey: .template)
            try container.encode(name, forKey: .name)
            try container.encode(reason, forKey: .reason)
            try container.encode(pending, forKey: .pending)
            try container.encode(detail, forKey: .detail)
        }
    }

    package struct WaitEntry: Sendable, Codable {
        package var subject: String
        package var reason: String
        package var detail: String
        /// A memory wait's figures (absent for other waits).
        package var memory: MemoryFigures?

        /// A conflict or an unguarded empty config (``Wait/isError``).
        package var isError: Bool { reason == "conflict" || reason == "empty-config" }
    }

    /// Why preloads wait for memory, in MiB (rounded down): `waiting` of them do not fit, as
    /// floor(max(0, free - threshold) / each) is fewer than the queue lacks.
    package struct MemoryFigures: Sendable, Codable {
        package var waiting: Int
        package var freeMib: UInt64
        package var thresholdMib: UInt64
        package var availableMib: UInt64
        package var eachMib: UInt64

        enum CodingKeys: String, CodingKey {
            case waiting
            case freeMib = "free_mib"
            case thresholdMib = "threshold_mib"
            case availableMib = "available_mib"
            case eachMib = "each_mib"
        }
    }

    /// Who made the plan, and of which config.
    package struct SourcePart: Sendable, Codable, Equatable {
        /// `controller`: the running controller's own plan of its config in force; `beside-controller`: planned
        /// here beside the controller (the config given is not its config in force, or `--restart` or
        /// `--allow-empty` ask for another plan), leaving its work in flight alone; `beside-holder`: a process holds
        /// the host but no API of it answers, so planned here taking every half-made domain as its work; `host`:
        /// planned here, nothing else holds the host.
        package var kind: String
        /// The digest of the config planned (as `dispo status` shows a config's `revision`).
        package var revision: String
        /// The digest of the controller's config in force (`controller` and `beside-controller` only).
        package var inForce: String?
        /// The controller's, or the holder's, pid.
        package var pid: Int32?
        /// The controller's socket.
        package var socket: String?

        enum CodingKeys: String, CodingKey {
            case kind, revision, pid, socket
            case inForce = "in_force"
        }

        package init(kind: String, revision: String, inForce: String? = nil, pid: Int32? = nil, socket: String? = nil) {
            self.kind = kind
            self.revision = revision
            self.inForce = inForce
            self.pid = pid
            self.socket = socket
        }
    }

    /// Absent from a controller of an older dispo.
    package var source: SourcePart?
    package var inSync: Bool
    package var actions: [Entry]
    package var relabel: [String]
    package var waiting: [WaitEntry]
    /// Actions per kind, as the `Plan:` line counts them.
    package var summary: PlanSummary
    /// What the host's holder works on now, which the plan leaves alone (absent from an older controller).
    package var inFlight: [InFlightEntry]?

    enum CodingKeys: String, CodingKey {
        case inSync = "in_sync"
        case inFlight = "in_flight"
        case source, actions, relabel, waiting, summary
    }

    /// True when a wait cannot resolve by waiting (``Wait/isError``): `diff` exits 1.
    package var hasError: Bool { waiting.contains(where: \.isError) }

    package init(_ plan: Plan, source: SourcePart? = nil, inFlight: [InFlightEntry]? = nil) {
        self.source = source
        self.inFlight = inFlight
        inSync = plan.isInSync
        summary = PlanSummary(plan)
        actions = plan.actions.map {
            Entry(op: $0.op.rawValue, role: $0.role.rawValue, template: $0.template, name: $0.name,
                reason: $0.reason.rawValue, pending: $0.pending, detail: $0.detail)
        }
        relabel = plan.adoptions
        waiting = plan.waits.map { wait in
            var figures: MemoryFigures?
            if case .memory(let count) = wait.kind, let memory = wait.memory {
                figures = MemoryFigures(
                    waiting: count, freeMib: memory.free.mebibytes, thresholdMib: memory.threshold.mebibytes,
                    availableMib: memory.available.mebibytes, eachMib: memory.each.mebibytes)
            }
            return WaitEntry(subject: wait.subject, reason: Self.word(wait.kind), detail: wait.detail, memory: figures)
        }
    }

    static func word(_ kind: Wait.Kind) -> String {
        switch kind {
        case .memory: return "memory"
        case .delay: return "delay"
        case .untilEmpty: return "until-empty"
        case .backoff: return "backoff"
        case .netvm: return "netvm"
        case .conflict: return "conflict"
        case .emptyConfig: return "empty-config"
        case .suspended: return "suspend"
        }
    }
}
