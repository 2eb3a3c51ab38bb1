import ArgumentParser
import DispoConfig
import DispoEngine
import DispoHost
import Foundation

/// `dispo apply`: reconcile once, until converged, showing progress; exit 0 converged, 1 error.
struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reconcile the host with the config once, until converged.",
        discussion: """
            Runs the same plan diff shows, re-planning after each batch until nothing is left
            to do. Each action prints a line on stderr as it completes. Preloads that do not fit
            in free memory above the threshold are not an error: apply says why they wait.
            A failing object is retried with back-off, then given up (exit 1).

            Examples:
              dispo apply -c examples/qubes --host sim:/tmp/host.json
              dispo apply --restart          # also restart named disposables whose spec changed
              dispo apply --allow-empty -c /etc/dispo   # an empty config removes what dispo made
            """)

    @OptionGroup var config: ConfigOptions
    @OptionGroup var hostOptions: HostOptions

    @Flag(help: "Restart running named disposables whose spec changed.")
    var restart = false

    @Flag(help: "Let an empty or missing config remove every domain dispo made.")
    var allowEmpty = false

    @Flag(help: "Run one pass of the plan and stop: no re-planning, no waiting for back-offs or delays.")
    var noWait = false

    @Option(help: "How many actions (preload creations) run at once.")
    var parallel = 2

    @Option(help: "Give an object up after this many failures.")
    var attempts = 3

    func validate() throws {
        guard parallel >= 1 else { throw ValidationError("--parallel must be 1 or more, found \(parallel)") }
        guard attempts >= 1 else { throw ValidationError("--attempts must be 1 or more, found \(attempts)") }
    }

    func run() async throws {
        let desired: DesiredState
        if allowEmpty, config.resolvedSource == nil, !FileManager.default.fileExists(atPath: config.resolvedDirectory) {
            StandardError.write("dispo: \(config.resolvedDirectory) does not exist; with --allow-empty it counts as empty")
            desired = DesiredState()
        } else {
            desired = try await LoadedConfig.load(config)
        }
        let choice = try hostOptions.choice()
        if case .qubes(let socket) = choice {
            let lock = try HostOwnership.acquire(choice, command: "apply", config: config.identity, socket: nil)
            defer { lock.release() }
            try await QubesPath.apply(desired, socket: socket, restart: restart, allowEmpty: allowEmpty, noWait: noWait)
            return
        }
        let host = try HostFactory.open(choice)
        // One owner per host: refuses while a controller (or another apply) holds it; held until apply ends.
        let lock = try HostOwnership.acquire(
            choice, command: "apply", config: config.identity, socket: nil)
        defer { lock.release() }
        let clock = SystemClock()
        let progress = ProgressPrinter(start: clock.now())
        let reconciler = Reconciler(
            host: host, clock: clock,
            options: ReconcileOptions(parallel: parallel, maxAttempts: attempts,
                plan: PlanOptions(restart: restart, allowEmpty: allowEmpty)),
            onEvent: { progress.handle($0) })
        let first = try await performing { () throws(HostError) in try await reconciler.plan(desired) }
        if let empty = first.waits.first(where: { $0.kind == .emptyConfig }) {
            throw failure("\(config.shownName): \(empty.detail); nothing was done")
        }
        if let summary = PlanSummary(first).line { StandardError.write(summary) }
        let started = clock.now()
        let outcome = try await Interruption.run(progress: progress) { () throws(HostError) in
            if noWait {
                let (plan, ran) = try await reconciler.pass(desired)
                return ConvergeOutcome(converged: true, failures: [:], plan: plan, actionsRun: ran, passes: 1)
            }
            return try await reconciler.converge(desired)
        }
        let after = try await performing { () throws(HostError) in try await reconciler.plan(desired) }
        let seconds = clock.now() - started
        for wait in after.waits where !wait.isError { print("waiting: \(wait.subject): \(wait.detail)") }
        for action in after.actions where action.pending {
            print("pending: \(action.name ?? action.template): \(action.detail)")
        }
        let blocking = after.waits.filter(\.isError)
        if !outcome.failures.isEmpty || !blocking.isEmpty {
            for (key, error) in outcome.failures.sorted(by: { $0.key < $1.key }) {
                StandardError.write("dispo: error: \(key) gave up after \(plural(attempts, "attempt")): \(error)")
            }
            for wait in blocking { StandardError.write("dispo: error: \(wait.subject): \(wait.detail)") }
            throw failure("not converged (\(plural(outcome.actionsRun, "action")) in \(format(seconds)))")
        }
        if !noWait, after.runnable.isEmpty {
            try await performing { () throws(HostError) in
                try await host.updateHostMetadata([HostMetadataKey.observedConfig: Digest.config(desired)])
            }
        }
        let verb = noWait ? "applied one pass" : "converged"
        print("\(verb): \(plural(outcome.actionsRun, "action")) in \(format(seconds))")
    }
}

func format(_ seconds: Double) -> String {
    seconds < 10 ? "\((seconds * 100).rounded() / 100)s" : "\(Int(seconds.rounded()))s"
}
