/// How many actions of each kind a plan holds: `Plan: 3 to create, 1 to destroy, 1 to restart`.
package struct PlanSummary: Sendable, Codable, Equatable {
    package var create = 0
    package var start = 0
    package var stop = 0
    package var restart = 0
    package var destroy = 0
    /// Preloads unpaused outside dispo, to be counted as used.
    package var relabel = 0
    /// Actions apply leaves alone without a flag (a restart without `--restart`); not in the counts above.
    package var pending = 0

    package init(_ plan: Plan) {
        for action in plan.actions {
            if action.pending {
                pending += 1
                continue
            }
            switch action.op {
            case .create: create += 1
            case .start: start += 1
            case .stop: stop += 1
            case .restart: restart += 1
            case .destroy: destroy += 1
            case .relabel: relabel += 1
            }
        }
        relabel = plan.adoptions.count
    }

    /// `Plan: 3 to create, 1 to destroy, 1 to restart (1 pending: needs apply --restart)`; nil when nothing is to do.
    package var line: String? {
        let counts = [
            ("create", create), ("start", start), ("stop", stop), ("restart", restart), ("destroy", destroy),
            ("relabel", relabel),
        ].filter { $0.1 > 0 }
        guard !counts.isEmpty || pending > 0 else { return nil }
        var text = "Plan: " + (counts.isEmpty ? "nothing to do now" : counts.map { "\($0.1) to \($0.0)" }.joined(separator: ", "))
        if pending > 0 { text += " (\(pending) pending: needs apply --restart)" }
        return text
    }
}
