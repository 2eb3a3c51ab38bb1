import DispoConfig
import DispoEngine

/// The human status: host line, config line, then tables of queues, named and in-use disposables.
struct StatusRenderer {
    let terminal: Terminal

    func render(_ report: StatusReport) -> String {
        var out = ""
        switch report.source {
        case let source? where source.kind == "controller":
            out += "source: the controller (pid \(source.pid.map(String.init) ?? "?"), \(source.socket ?? "?"))\n"
        case .some: out += "source: read from the host and the config directly (no controller answers)\n"
        case nil: break
        }
        out += "host: \(report.host.location)  free \(report.host.freeMemoryMib) MiB of \(report.host.totalMemoryMib) MiB\n"
        let reconciled = report.config.observed == report.config.revision ? "reconciled" : "not yet reconciled"
        let state = report.config.ok ? terminal.paint("ok", .green) : terminal.paint("\(report.config.errors.count) error(s)", .red)
        out += "config: \(state)  revision \(report.config.revision) (\(reconciled))\n"
        if let commit = report.config.commit { out += "  commit \(commit)\n" }
        if let source = report.config.source {
            out += "  source \(source.name) (\(source.kind)): \(source.url), \(source.ref)\n"
            out += "    applied \(source.applied ?? "none yet"), fetched \(source.fetched ?? "nothing yet")"
            out += source.lastFetch.map { " at \($0)" } ?? ""
            out += source.failures > 0 ? ", \(terminal.paint("\(source.failures) failed fetch(es) in a row", .red))" : ""
            out += "\n"
            if let problem = source.error { out += "    \(terminal.paint("!", .red)) \(problem)\n" }
        }
        for error in report.config.errors { out += "  \(terminal.paint("!", .red)) \(error.description)\n" }
        if let suspend = report.suspend {
            out += "preloads: \(terminal.paint("held for a host suspend", .yellow)) since \(suspend.since) "
                + "(\(Int(suspend.seconds)) s awake; dispo sleep post resumes the refill)\n"
        }
        if let last = report.history.last {
            out += "last reconcile: \(last.at), \(last.actions) action(s), \(last.errors) error(s) in \(last.seconds)s\n"
        }
        if !report.templates.isEmpty {
            out += "\n" + table(
                ["TEMPLATE", "READY", "STARTING", "QUEUE (oldest first)"],
                report.templates.map {
                    [$0.name, "\($0.preload.ready)/\($0.preload.max)", "\($0.preload.starting)",
                        $0.preload.queue.isEmpty ? "-" : $0.preload.queue.joined(separator: " ")]
                })
        }
        if !report.named.isEmpty {
            out += "\n" + table(
                ["NAMED", "DESIRED", "STATE", "UP-TO-DATE"],
                report.named.map { [$0.name, $0.desired ?? "-", $0.state, $0.upToDate ? "yes" : "no (restart pending)"] })
        }
        if !report.disposables.isEmpty {
            out += "\n" + table(
                ["DISPOSABLE", "TEMPLATE", "ROLE", "STATE"],
                report.disposables.map { [$0.name, $0.template, $0.role, $0.state] })
        }
        return out
    }

    /// Left-aligned columns separated by two spaces.
    func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.enumerated().map { index, row in
            let line = row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ")
            return index == 0 ? terminal.paint(line, .bold) : line
        }.joined(separator: "\n") + "\n"
    }
}
