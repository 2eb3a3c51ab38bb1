import ArgumentParser
import DispoConfig
import DispoEngine
import DispoQubes
import Foundation

/// `diff`, `apply`, `status` and `request` with `--host qubes`: the Qubes reconcile path (``QubesPlanner``)
/// instead of the engine on the `Host` seam. Same flags, exit statuses and JSON fields as on Xen; the diff's
/// actions carry a `detail` and the ops `set`/`unset` besides create/start/stop/restart/destroy.
///
/// With `DISPO_QUBES_CALLS=1` each command ends with the Admin API calls it made on stderr (for measurements).
enum QubesPath {
    static func client(_ socket: String) -> AdminClient { AdminClient(socketPath: socket) }

    static func diff(_ desired: DesiredState, socket: String, json: Bool, restart: Bool, allowEmpty: Bool) async throws {
        let client = client(socket)
        defer { reportCalls(client) }
        if desired.count == 0, !allowEmpty {
            throw failure("the config is empty; nothing to plan (with --allow-empty dispo would remove what it made)")
        }
        let plan = try await qubes { () throws(QubesError) in
            try await QubesReconciler(client: client, options: .init(restart: restart)).plan(desired)
        }
        if json {
            try JSONOutput.print(QubesDiffReport(plan, desired: desired))
        } else {
            for change in plan.changes { print(change.description) }
            if plan.indexChanged { print("~ dom0: dispo's index of the qubes it made (index)") }
            for problem in plan.problems { StandardError.write("dispo: error: \(problem)") }
            if plan.isInSync { print("in sync: nothing to do") }
        }
        if !plan.problems.isEmpty { throw ExitCode(1) }
        if !plan.changes.isEmpty || plan.indexChanged { throw ExitCode(2) }
    }

    static func apply(
        _ desired: DesiredState, socket: String, restart: Bool, allowEmpty: Bool, noWait: Bool
    ) async throws {
        let client = client(socket)
        defer { reportCalls(client) }
        if desired.count == 0, !allowEmpty {
            throw failure("the config is empty; nothing was done (with --allow-empty dispo removes what it made)")
        }
        var reconciler = QubesReconciler(client: client, options: .init(restart: restart))
        if noWait { reconciler.maxPasses = 1 }
        let started = Date()
        let outcome = try await qubes { () throws(QubesError) in
            try await reconciler.converge(desired) { change, error in
                if let error {
                    StandardError.write("dispo: error: \(change.qube): \(change.detail): \(error)")
                } else {
                    StandardError.write("dispo: \(change.description)")
                }
            }
        }
        let seconds = Date().timeIntervalSince(started)
        for change in outcome.plan.changes where change.pending {
            print("pending: \(change.qube): \(change.detail) (apply --restart)")
        }
        for problem in outcome.plan.problems { StandardError.write("dispo: error: \(problem)") }
        let left = outcome.plan.runnable
        if !outcome.failures.isEmpty || !outcome.plan.problems.isEmpty || (!noWait && !left.isEmpty) {
            for change in left where outcome.failures.isEmpty { StandardError.write("dispo: error: not done: \(change)") }
            throw failure("not converged (\(plural(outcome.changesRun, "change")) in \(format(seconds)))")
        }
        print("\(noWait ? "applied one pass" : "converged"): \(plural(outcome.changesRun, "change")) in \(format(seconds))"
            + " (qubesd fills the preload queues itself; dispo status shows them)")
    }

    /// Reads qubesd itself (no controller): the report's `source` is `host`.
    static func status(_ loaded: LoadedConfig.Loaded, socket: String, location: String) async throws -> QubesStatus {
        let client = client(socket)
        defer { reportCalls(client) }
        let errors = loaded.result.diagnostics.filter { $0.severity == .error }
            .map { "\($0.path):\($0.line):\($0.column): \($0.message)" }
        var report = try await qubes { () throws(QubesError) in
            try await QubesStatus.read(client: client, desired: loaded.result.state, configErrors: errors, location: location)
        }
        report.source = .init(kind: "host")
        return report
    }

    /// Prints a Qubes status (read here, or a Qubes controller's `GET /v1/status`).
    static func show(_ report: QubesStatus, json: Bool) throws {
        if json {
            try JSONOutput.print(report)
            return
        }
        let by = report.source?.kind == "controller"
            ? " through the controller (pid \(report.source?.pid.map(String.init) ?? "?"))" : ""
        print("qubesd at \(report.host.location)\(by) (config \(report.config.ok ? "valid" : "has errors"), revision \(report.config.revision))")
        for template in report.templates {
            let preload = template.preload
            let queue = preload.queue.isEmpty ? "" : ": \(preload.queue.joined(separator: " "))"
            print("  \(template.name): preload \(preload.ready)/\(preload.max) ready, \(preload.starting) starting\(queue)"
                + (template.present ? "" : " (not made yet)"))
        }
        for named in report.named {
            print("  \(named.name): \(named.state) (desired \(named.desired ?? "unmanaged"))\(named.upToDate ? "" : ", not up to date")")
        }
        for disposable in report.disposables {
            print("  \(disposable.name): \(disposable.state) (\(disposable.template), \(disposable.role))")
        }
        for problem in report.problems { print("  problem: \(problem)") }
        if let last = report.history?.last {
            print("  last reconcile: \(last.at), \(last.actions) changes, \(last.errors) errors, \(last.seconds) s")
        }
    }

    static func request(
        _ target: String?, source: String?, desired: DesiredState, socket: String
    ) async throws -> Handout {
        let client = client(socket)
        defer { reportCalls(client) }
        return try await qubes { () throws(QubesError) in try await QubesRequester(client: client).request(target, source: source, desired: desired) }
    }

    /// Runs a Qubes call, turning a ``QubesError`` into `dispo: error: ...` and exit status 1.
    static func qubes<Value>(_ body: () async throws(QubesError) -> Value) async throws -> Value {
        do {
            return try await body()
        } catch {
            throw failure(error.description)
        }
    }

    private static func reportCalls(_ client: AdminClient) {
        guard ProcessInfo.processInfo.environment["DISPO_QUBES_CALLS"] == "1" else { return }
        let calls = client.calls.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        StandardError.write("dispo: \(client.callCount) Admin API calls: \(calls)")
    }
}
