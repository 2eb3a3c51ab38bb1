import DispoHost

/// What `dispo diff --json` prints and `GET /v1/plan` serves.
public struct DiffReport: Sendable, Encodable {
    public struct Entry: Sendable, Encodable {
        public var op: String
        public var role: String
        public var template: String
        public var name: String?
        public var reason: String
        public var pending: Bool
        public var detail: String

        enum CodingKeys: String, CodingKey {
            case op, role, template, name, reason, pending, detail
        }

        public func encode(to encoder: any Encoder) throws {
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

    public struct WaitEntry: Sendable, Encodable {
        public var subject: String
        public var reason: String
        public var detail: String
    }

    public var inSync: Bool
    public var actions: [Entry]
    public var relabel: [String]
    public var waiting: [WaitEntry]
    /// Actions per kind, as the `Plan:` line counts them.
    public var summary: PlanSummary

    enum CodingKeys: String, CodingKey {
        case inSync = "in_sync"
        case actions, relabel, waiting, summary
    }

    public init(_ plan: Plan) {
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
        }
    }
}
