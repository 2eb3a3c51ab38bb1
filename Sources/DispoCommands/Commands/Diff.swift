import ArgumentParser
import DispoConfig
import DispoDaemon
import DispoGit
import DispoEngine
import DispoHost

/// `dispo diff`: the dry run of `apply`; exit 0 in sync, 2 drift, 1 error.
struct Diff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what apply would do, per object, with reasons (a dry run).",
        discussion: """
            Compares the config with the host and prints each action apply would take:
            '+' create or start, '-' destroy or stop, '~' restart. Actions marked [pending]
            need a flag (a restart needs apply --restart). Nothing is changed.

            Beside the controller that keeps the host (dispo watch; found from the host's lock,
            or --socket) the diff is the controller's own plan when the config given is its
            config in force; otherwise the config given is planned here, and the controller's
            work in flight is left to it, never called interrupted. The first line (and
            source in --json) says which; in_flight lists that work.
            Exit status: 0 in sync, 2 drift, 1 error (including a name conflict
            with a domain dispo does not own, or an empty config without --allow-empty).

            With --git, the config is the git source's commit in force; --ref REF previews a
            branch, tag or commit of its repository instead (before it is merged), and says when
            the controller would refuse that commit (its signature, the fast-forward rule).

            Examples:
              dispo diff -c examples/qubes --host sim:/tmp/host.json
              dispo diff --git /etc/dispo-source.yaml --ref feature/more-preloads
              dispo diff --json | jq '.actions[] | select(.reason == "refresh")'
            """)

    @OptionGroup var config: ConfigOptions
    @OptionGroup var hostOptions: HostOptions
    @OptionGroup var socketOptions: SocketOptions

    @Flag(help: "Print the plan as one JSON document.")
    var json = false

    @Flag(help: "Plan as if apply --restart were given.")
    var restart = false

    @Flag(help: "Plan as if apply --allow-empty were given.")
    var allowEmpty = false

    @Option(help: ArgumentHelp("With --git: preview this branch, tag or commit of the repository.", valueName: "REF"))
    var ref: String?

    func validate() throws {
        if ref != nil, config.resolvedSource == nil {
            throw ValidationError("--ref needs a git source (--git FILE or $DISPO_GIT_SOURCE)")
        }
    }

    func run() async throws {
        let desired: DesiredState
        if let ref {
            desired = try await preview(ref)
        } else {
            desired = try await LoadedConfig.load(config)
        }
        let choice = try hostOptions.choice()
        if case .qubes(let socket) = choice {
            try await QubesPath.diff(desired, socket: socket, json: json, restart: restart, allowEmpty: allowEmpty)
            return
        }
        let route = try await DiffRoute.resolve(choice, socket: socketOptions)
        let host = try HostFactory.open(choice)
        let reconciler = Reconciler(host: host, clock: SystemClock(),
            options: ReconcileOptions(plan: PlanOptions(restart: restart, allowEmpty: allowEmpty)))
        let report = try await plan(desired, beside: route, reconciler: reconciler)
        if !json, let empty = report.waiting.first(where: { $0.reason == "empty-config" }) {
            throw failure("\(config.shownName): \(empty.detail); nothing to plan")
        }
        if json {
            try JSONOutput.print(report)
        } else {
            print(PlanRenderer(terminal: .standardOutput).render(report), terminator: "")
        }
        if report.hasError { throw ExitCode(1) }
        if !report.inSync { throw ExitCode(2) }
    }

    /// The plan of `desired` beside what `route` found holding the host; a controller that does not answer with
    /// its plan is planned beside as a holder, with a warning.
    private func plan(_ desired: DesiredState, beside route: DiffRoute, reconciler: Reconciler) async throws
        -> DiffReport
    {
        switch route {
        case .alone:
            return try await performing { () throws(HostError) in
                try await ControllerPlan.alone(desired, reconciler: reconciler)
            }
        case .holder(let pid):
            return try await performing { () throws(HostError) in
                try await ControllerPlan.beside(holder: pid, desired, reconciler: reconciler)
            }
        case .controller(let identity):
            do {
                return try await ControllerPlan.beside(
                    controller: identity.socket, desired, reconciler: reconciler, ownPlan: !restart && !allowEmpty)
            } catch let error as HostError {
                throw failure(error.description)
            } catch {
                let fallback = DiffRoute.fallback(
                    pid: identity.pid, "the controller (pid \(identity.pid)) on \(identity.socket) did not answer "
                        + "with its plan: \(error)")
                return try await plan(desired, beside: fallback, reconciler: reconciler)
            }
        }
    }

    /// The config of `ref` in the git source, printing what it is and whether it would be refused.
    private func preview(_ ref: String) async throws -> DesiredState {
        guard let source = try LoadedConfig.openSource(config) else { throw ExitCode(1) }
        switch await source.preview(ref) {
        case .failure(let problem):
            throw failure("cannot preview \(ref): \(problem.message)")
        case .success(let preview):
            var renderer = DiagnosticRenderer(terminal: .standardError, directory: nil)
            for diagnostic in preview.load.diagnostics { StandardError.write(renderer.render(diagnostic)) }
            guard preview.load.isValid else {
                throw failure("\(preview.revision) has \(plural(preview.load.diagnostics.errorCount, "error")); "
                    + "the controller would keep the config in force")
            }
            StandardError.write("dispo: previewing \(preview.revision) for host \(source.host)")
            if let refusal = preview.wouldRefuse {
                StandardError.write("dispo: warning: as the head, this commit would be refused: \(refusal)")
            }
            return preview.load.state
        }
    }
}
