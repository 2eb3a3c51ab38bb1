import DispoConfig
import DispoHost

/// What `dispo diff --json` prints and `GET /v1/plan` serves.
package struct DiffReport: Sendable, Encodable {
    package struct Entry: Sendable, Encodable {
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

    package struct WaitEntry: Sendable, Encodable {
        package var subject: String
        package var reason: String
        package var detail: String
        /// A memory wait's figures (absent for other waits).
        package var memory: MemoryFigures?
    }

    /// Why preloads wait for memory, in MiB (rounded down): `waiting` of them do not fit, as
    /// floor(max(0, free - threshold) / each) is fewer than the queue lacks.
    package struct MemoryFigures: Sendable, Encodable {
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

    package var inSync: Bool
    package var actions: [Entry]
    package var relabel: [String]
    package var waiting: [WaitEntry]
    /// Actions per kind, as the `Plan:` line counts them.
    package var summary: PlanSummary

    enum CodingKeys: String, CodingKey {
        case inSync = "in_sync"
        case actions, relabel, waiting, summary
    }

    package init(_ plan: Plan) {
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
