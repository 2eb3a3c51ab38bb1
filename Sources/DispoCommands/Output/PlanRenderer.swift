import DispoEngine
import DispoHost

/// The human diff: where the plan comes from (when not from the host alone), actions grouped per object, `+`
/// create/start, `-` destroy/stop, `~` restart, then what is in flight and what waits.
struct PlanRenderer {
    let terminal: Terminal

    func render(_ plan: Plan) -> String {
        render(DiffReport(plan))
    }

    func render(_ report: DiffReport) -> String {
        var out = report.source.flatMap(Self.origin).map { $0 + "\n" } ?? ""
        if report.inSync, !report.hasError {
            out += "in sync: nothing to do\n"
        }
        var groups: [String: [DiffReport.Entry]] = [:]
        for action in report.actions { groups[Self.group(action), default: []].append(action) }
        for key in groups.keys.sorted() {
            out += terminal.paint(key, .bold) + "\n"
            for action in groups[key] ?? [] { out += "  " + line(action) + "\n" }
        }
        if !report.relabel.isEmpty {
            out += terminal.paint("relabel", .bold) + "\n"
            for name in report.relabel {
                out += "  ~ \(name): unpaused outside dispo; counted as used and taken off the queue\n"
            }
        }
        if let inFlight = report.inFlight, !inFlight.isEmpty {
            let holder = report.source?.kind == "beside-holder" ? "its holder" : "the controller"
            out += terminal.paint("in flight", .bold) + " (left to \(holder))\n"
            for entry in inFlight { out += "  " + terminal.paint("…", .dim) + " " + Self.inFlightLine(entry) + "\n" }
        }
        if !report.waiting.isEmpty {
            out += terminal.paint("waiting", .bold) + "\n"
            for wait in report.waiting {
                let mark = wait.isError ? terminal.paint("!", .red) : terminal.paint("·", .dim)
                out += "  \(mark) \(wait.subject): \(wait.detail)\n"
            }
        }
        if let summary = report.summary.line { out += "\n" + terminal.paint(summary, .bold) + "\n" }
        return out
    }

    /// The first line, saying whose plan this is; nil for a plan of the host alone (as before controllers had a
    /// say in it).
    static func origin(_ source: DiffReport.SourcePart) -> String? {
        let pid = source.pid.map { "pid \($0)" } ?? "pid unknown"
        switch source.kind {
        case "controller":
            return "plan of the controller (\(pid), \(source.socket ?? "?")), config revision \(source.revision) in force"
        case "beside-controller":
            let why = source.revision == source.inForce
                ? "planned here with --restart/--allow-empty"
                : "the config given (revision \(source.revision)) is not the controller's config in force "
                    + "(\(source.inForce ?? "?")): planned here"
            return "\(why) beside the controller (\(pid)), leaving its work in flight to it"
        case "beside-holder":
            return "a dispo process (\(pid)) holds the host but no API of it answers: planned here, "
                + "taking its half-made domains as its work in flight"
        default:
            return nil
        }
    }

    static func group(_ action: DiffReport.Entry) -> String {
        action.role == Role.named.rawValue ? "\(action.name ?? action.template) (NamedDisposable)"
            : "\(action.template) (DisposableTemplate)"
    }

    static func inFlightLine(_ entry: InFlightEntry) -> String {
        let what = [entry.op, entry.role, entry.name].compactMap { $0 }.joined(separator: " ")
        return entry.template.map { "\(what) (\($0))" } ?? what
    }

    func line(_ action: DiffReport.Entry) -> String {
        let symbol: String
        switch Action.Op(rawValue: action.op) {
        case .create, .start: symbol = terminal.paint("+", .green)
        case .destroy, .stop: symbol = terminal.paint("-", .red)
        case .restart, .relabel, nil: symbol = terminal.paint("~", .yellow)
        }
        let subject = "\(action.op) \(action.role) \(action.name ?? "(new)")"
        let padded = subject.count < 32 ? subject + String(repeating: " ", count: 32 - subject.count) : subject + " "
        let pending = action.pending ? " " + terminal.paint("[pending]", .yellow) : ""
        return "\(symbol) \(padded)\(action.reason): \(action.detail)\(pending)"
    }
}
