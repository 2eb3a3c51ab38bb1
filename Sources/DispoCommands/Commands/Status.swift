import ArgumentParser
import DispoConfig
import DispoEngine
import DispoDaemon
import DispoHost
import DispoQubes
import Foundation

/// `dispo status`: desired vs actual — queues, named disposables, disposables in use.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show desired vs actual: preload queues (ready/max), named disposables, disposables in use.",
        discussion: """
            When a controller (dispo watch) keeps the host, its view is shown: the config in force,
            its errors and its reconcile history. Otherwise dispo reads the config and the host
            itself. The first line says which. --socket, --host and -c are honoured or refused:
            a controller that serves another host or config is an error. Works even when the
            config has errors: they are listed, and the rest is shown as far as it can be.
            Reading never changes anything: a simulated host that does not exist is an error.

            Exit status 0 (1 when the host cannot be read). With --check, for monitoring (like
            systemctl is-active), the first problem found decides it, also said on stderr:
              0  a controller answers, its config is valid and the host is reconciled
              3  no controller answers for this host
              4  the config has errors (the last good one stays in force)
              5  the host is not reconciled with the config yet

            Examples:
              dispo status --host sim:/tmp/host.json
              dispo status --json | jq '.templates[].preload'
              dispo status --check --json >/dev/null || alert
            """)

    @OptionGroup var config: ConfigOptions
    @OptionGroup var hostOptions: HostOptions
    @OptionGroup var socketOptions: SocketOptions

    @Flag(help: "Print the status as one JSON document.")
    var json = false

    @Flag(help: "Exit non-zero when no controller answers (3), the config has errors (4) or the host is not reconciled (5).")
    var check = false

    func run() async throws {
        let report: StatusReport
        switch try await DaemonRoute.resolve(host: hostOptions, socket: socketOptions, config: config, readOnly: true) {
        case .daemon(let daemon) where daemon.isQubes:
            let report: QubesStatus = try await fromDaemon(daemon)
            try QubesPath.show(report, json: json)
            try checked(Self.problem(report))
            return
        case .daemon(let daemon):
            report = try await fromDaemon(daemon)
        case .direct(.qubes(let socket)):
            let loaded = try await LoadedConfig.loadAllowingErrors(config)
            let location = try hostOptions.choice(announce: false).location
            let report = try await QubesPath.status(loaded, socket: socket, location: location)
            try QubesPath.show(report, json: json)
            try checked(Self.problem(report))
            return
        case .direct(let choice):
            report = try await fromHost(choice)
        }
        try show(report)
        try checked(Self.problem(report))
    }

    /// With `--check`: the problem found (if any) on stderr and as the exit status.
    private func checked(_ problem: (code: Int32, message: String)?) throws {
        guard check, let problem else { return }
        StandardError.write("dispo: check: \(problem.message)")
        throw ExitCode(problem.code)
    }

    /// The first problem `--check` reports, with its exit status.
    static func problem(_ report: StatusReport) -> (code: Int32, message: String)? {
        problem(
            controller: report.source?.kind == "controller", location: report.host.location, ok: report.config.ok,
            errors: report.config.errors.count, revision: report.config.revision, observed: report.config.observed)
    }

    static func problem(_ report: QubesStatus) -> (code: Int32, message: String)? {
        problem(
            controller: report.source?.kind == "controller", location: report.host.location, ok: report.config.ok,
            errors: report.config.errors.count, revision: report.config.revision, observed: report.config.observed)
    }

    /// The same from any backend's report's parts.
    static func problem(
        controller: Bool, location: String, ok: Bool, errors: Int, revision: String, observed: String?
    ) -> (code: Int32, message: String)? {
        if !controller {
            return (3, "no controller answers for \(location)")
        }
        if !ok {
            return (4, "the config has \(plural(errors, "error")); the last good one stays in force")
        }
        if observed != revision {
            return (5, "\(location) is not reconciled with config revision \(revision) yet")
        }
        return nil
    }

    private func fromHost(_ choice: HostOptions.Choice) async throws -> StatusReport {
        let loaded = try await LoadedConfig.loadAllowingErrors(config)
        let host = try HostFactory.open(choice)
        let snapshot = try await performing { () throws(HostError) in try await host.snapshot() }
        var report = StatusReport.make(
            desired: loaded.result.state, configErrors: loaded.result.diagnostics.filter { $0.severity == .error },
            revisions: await Revisions.compute(loaded.result.state, host: host), snapshot: snapshot,
            backend: host.backend, location: host.location, commit: loaded.revision, source: loaded.source,
            suspend: StatusReport.SuspendPart(snapshot.metadata, clock: SystemClock()))
        report.source = .init(kind: "host")
        return report
    }

    /// The running daemon's view: its config in force, its errors and history, and itself as the `source`
    /// (``StatusReport`` from a Xen or sim controller, ``QubesStatus`` from a Qubes one).
    private func fromDaemon<Report: Decodable>(_ daemon: DaemonIdentity, as _: Report.Type = Report.self) async throws
        -> Report
    {
        let reply: APIClient.Reply
        do {
            reply = try await APIClient.send("GET", "/v1/status", socket: daemon.socket)
        } catch {
            throw failure("the daemon at \(daemon.socket) did not answer: \(error)")
        }
        guard reply.status == 200, let report = try? JSONDecoder().decode(Report.self, from: reply.body) else {
            throw failure(
                "the daemon at \(daemon.socket) answered \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
        }
        return report  // the daemon fills `source` itself
    }

    private func show(_ report: StatusReport) throws {
        if json {
            try JSONOutput.print(report)
        } else {
            print(StatusRenderer(terminal: .standardOutput).render(report), terminator: "")
        }
    }
}
