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
        var fingerprints: [String: String] = [:]
        for template in loaded.state.templates.values where template.revision == .auto {
            let files = [template.kernel, template.ramdisk].compactMap { $0 } + template.disks.map(\.source)
            fingerprints[template.name] = await host.fingerprint(files: files)
        }
        let report = StatusReport.make(
            desired: loaded.state,
            configErrors: loaded.diagnostics.filter { $0.severity == .error }.map(\.description),
            revisions: Revisions.compute(loaded.state) { fingerprints[$0.name] ?? "" }, snapshot: snapshot,
            backend: host.backend, location: host.location)
        if json {
            try JSONOutput.print(report)
        } else {
            print(StatusRenderer(terminal: .standardOutput).render(report), terminator: "")
        }
    }
}
