public import DispoConfig

/// `diff --json` on Qubes (and `GET /v1/plan` of the Qubes controller): the Xen shape (`in_sync`, `actions` with
/// op, role, template, name, reason, pending) plus each action's `detail` and the plan's `problems`.
public struct QubesDiffReport: Sendable, Codable {
    public struct Action: Sendable, Codable {
        public var op: String
        public var role: String
        public var template: String
        public var name: String?
        public var reason: String
        public var pending: Bool
        public var detail: String
    }

    public var inSync: Bool
    public var actions: [Action]
    public var problems: [String]

    enum CodingKeys: String, CodingKey {
        case inSync = "in_sync"
        case actions, problems
    }

    public init(_ plan: QubesPlan, desired: DesiredState) {
        inSync = plan.isInSync
        problems = plan.problems.map(\.description)
        actions = plan.changes.map { change in
            let template: String
            switch change.role {
            case .disposableTemplate: template = desired.disposableTemplates[change.qube]?.template ?? ""
            case .named: template = desired.namedDisposables[change.qube]?.template ?? ""
            case .system: template = ""
            }
            return Action(
                op: change.op, role: change.role.rawValue, template: template,
                name: change.qube, reason: change.reason, pending: change.pending, detail: change.detail)
        }
    }
}
