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
        waiting = plan.waits.map { WaitEntry(subject: $0.subject, reason: Self.word($0.kind), detail: $0.detail) }
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
