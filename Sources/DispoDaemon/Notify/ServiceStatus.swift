public import DispoEngine

/// The one-line summary the controller gives systemd as `STATUS=` (`systemctl status dispo` shows it): the queues
/// (ready/max), the named disposables running, and the errors (config errors, objects backing off after
/// failures, conflicts).
public enum ServiceStatus {
    /// Templates listed by name up to this many; beyond, only the totals.
    static let namedTemplates = 4

    /// - Parameters:
    ///   - report: the status as the pass saw it (the config in force).
    ///   - plan: the pass's plan, for what fails (back-offs, conflicts, an unguarded empty config).
    ///   - inForce: whether a config is in force at all (false until the first valid load).
    public static func line(report: StatusReport, plan: Plan?, inForce: Bool = true) -> String {
        line(
            templates: report.templates, named: report.named, configErrors: report.config.errors.count, plan: plan,
            inForce: inForce)
    }

    /// The line from its parts (no report: nothing in force yet, or the host could not be read).
    public static func line(
        templates: [StatusReport.TemplatePart], named: [StatusReport.NamedPart], configErrors: Int, plan: Plan?,
        inForce: Bool
    ) -> String {
        let waits = plan?.waits ?? []
        let failing = waits.filter { if case .backoff = $0.kind { return true } else { return false } }.count
        return line(
            templates: templates, named: named, configErrors: configErrors, failing: failing,
            blocked: waits.filter(\.isError).count, suspended: waits.contains { $0.kind == .suspended },
            inForce: inForce)
    }

    /// The line from counts: `failing` objects backing off after failures, `blocked` ones (conflicts and the like),
    /// `suspended` when preloads are held for a host suspend.
    package static func line(
        templates: [StatusReport.TemplatePart], named: [StatusReport.NamedPart], configErrors: Int, failing: Int,
        blocked: Int, suspended: Bool = false, inForce: Bool
    ) -> String {
        var parts: [String] = []
        if inForce {
            let ready = templates.reduce(0) { $0 + $1.preload.ready }
            let max = templates.reduce(0) { $0 + $1.preload.max }
            if templates.isEmpty {
                parts.append("no preload queues")
            } else if templates.count <= namedTemplates {
                let each = templates.map { "\($0.name) \($0.preload.ready)/\($0.preload.max)" }
                parts.append("queues \(each.joined(separator: ", "))")
            } else {
                parts.append("queues \(ready)/\(max) ready in \(templates.count) templates")
            }
            let wanted = named.filter { $0.desired == "running" }
            if !wanted.isEmpty {
                let running = wanted.filter { $0.state == "running" }
                parts.append("named \(running.count)/\(wanted.count) running")
            }
        } else {
            parts.append("no config in force")
        }
        if configErrors > 0 {
            let kept = inForce ? "last good config in force" : "nothing applied"
            parts.append("config: \(configErrors) error\(configErrors == 1 ? "" : "s") (\(kept))")
        }
        if suspended { parts.append("preloads held for a host suspend") }
        if failing > 0 { parts.append("\(failing) failing (backing off)") }
        if blocked > 0 { parts.append("\(blocked) blocked (see dispo status)") }
        if configErrors == 0 && failing == 0 && blocked == 0 { parts.append("no errors") }
        return parts.joined(separator: "; ")
    }
}
