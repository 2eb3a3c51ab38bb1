import ArgumentParser
import DispoConfig
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
            Exit status: 0 in sync, 2 drift, 1 error (including a name conflict
            with a domain dispo does not own, or an empty config without --allow-empty).

            Examples:
              dispo diff -c examples/qubes --host sim:/tmp/host.json
              dispo diff --json | jq '.actions[] | select(.reason == "refresh")'
            """)

    @OptionGroup var config: ConfigOptions
    @OptionGroup var hostOptions: HostOptions

    @Flag(help: "Print the plan as one JSON document.")
    var json = false

    @Flag(help: "Plan as if apply --restart were given.")
    var restart = false

    @Flag(help: "Plan as if apply --allow-empty were given.")
    var allowEmpty = false

    func run() async throws {
        let desired = try LoadedConfig.load(config)
        let host = try HostFactory.open(hostOptions)
        let reconciler = Reconciler(host: host, clock: SystemClock(),
            options: ReconcileOptions(plan: PlanOptions(restart: restart, allowEmpty: allowEmpty)))
        let plan = try await performing { () throws(HostError) in try await reconciler.plan(desired) }
        if !json, let empty = plan.waits.first(where: { $0.kind == .emptyConfig }) {
            throw failure("\(config.resolvedDirectory): \(empty.detail); nothing to plan")
        }
        if json {
            try JSONOutput.print(DiffReport(plan))
        } else {
            print(PlanRenderer(terminal: .standardOutput).render(plan), terminator: "")
        }
        if plan.waits.contains(where: \.isError) { throw ExitCode(1) }
        if !plan.isInSync { throw ExitCode(2) }
    }
}
