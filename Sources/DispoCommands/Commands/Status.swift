import ArgumentParser
import DispoConfig
import DispoEngine
import DispoHost

/// `dispo status`: desired vs actual — queues, named disposables, disposables in use.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show desired vs actual: preload queues (ready/max), named disposables, disposables in use.",
        discussion: """
            Works even when the config has errors: they are listed, and the rest is shown as far
            as it can be. Exit status 0.

            Examples:
              dispo status --host sim:/tmp/host.json
              dispo status --json | jq '.templates[].preload'
            """)

    @OptionGroup var config: ConfigOptions
    @OptionGroup var hostOptions: HostOptions

    @Flag(help: "Print the status as one JSON document.")
    var json = false

    func run() async throws {
        let loaded = LoadedConfig.loadAllowingErrors(config)
        let host = try HostFactory.open(hostOptions)
        let snapshot = try await performing { () throws(HostError) in try await host.snapshot() }
        let report = StatusReport.make(
            desired: loaded.state,
            configErrors: loaded.diagnostics.filter { $0.severity == .error }.map(\.description),
            revisions: await Revisions.compute(loaded.state, host: host), snapshot: snapshot,
            backend: host.backend, location: host.location)
        if json {
            try JSONOutput.print(report)
        } else {
            print(StatusRenderer(terminal: .standardOutput).render(report), terminator: "")
        }
    }
}
