import DispoEngine
import DispoHost

/// The human diff: actions grouped per object, `+` create/start, `-` destroy/stop, `~` restart.
struct PlanRenderer {
    let terminal: Terminal

    func render(_ plan: Plan) -> String {
        var out = ""
        if plan.isInSync, !plan.waits.contains(where: \.isError) {
            out += "in sync: nothing to do\n"
        }
        var groups: [String: [Action]] = [:]
        for action in plan.actions { groups[Self.group(action), default: []].append(action) }
        for key in groups.keys.sorted() {
            out += terminal.paint(key, .bold) + "\n"
            for action in groups[key] ?? [] { out += "  " + line(action) + "\n" }
        }
        if !plan.adoptions.isEmpty {
            out += terminal.paint("relabel", .bold) + "\n"
            for name in plan.adoptions {
                out += "  ~ \(name): unpaused outside dispo; counted as used and taken off the queue\n"
            }
        }
        if !plan.waits.isEmpty {
            out += terminal.paint("waiting", .bold) + "\n"
            for wait in plan.waits {
                let mark = wait.isError ? terminal.paint("!", .red) : terminal.paint("·", .dim)
                out += "  \(mark) \(wait.subject): \(wait.detail)\n"
            }
        }
        if let summary = PlanSummary(plan).line { out += "\n" + terminal.paint(summary, .bold) + "\n" }
        return out
    }

    static func group(_ action: Action) -> String {
        action.role == .named ? "\(action.name ?? action.template) (NamedDisposable)"
            : "\(action.template) (DisposableTemplate)"
    }

    func line(_ action: Action) -> String {
        let symbol: String
        switch action.op {
        case .create, .start: symbol = terminal.paint("+", .green)
        case .destroy, .stop: symbol = terminal.paint("-", .red)
        case .restart, .relabel: symbol = terminal.paint("~", .yellow)
        }
        let subject = "\(action.op.rawValue) \(action.role.rawValue) \(action.name ?? "(new)")"
        let padded = subject.count < 32 ? subject + String(repeating: " ", count: 32 - subject.count) : subject + " "
        let pending = action.pending ? " " + terminal.paint("[pending]", .yellow) : ""
        return "\(symbol) \(padded)\(action.reason.rawValue): \(action.detail)\(pending)"
    }
}
