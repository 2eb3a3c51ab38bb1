import ArgumentParser
import DispoConfig
import DispoHost
import DispoTestKit
import DispoXen
import Foundation

/// `dispo-conformance`: the ``HostConformance`` checks against this dom0's Xen, one `PASS NAME` / `FAIL NAME
/// REASON` line each (`SKIP NAME REASON` for a check the host cannot run), as `e2e/scenario.sh` prints its own.
/// Exits 1 when any check failed, 64 on bad arguments or an unusable config.
@main
struct ConformanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispo-conformance",
        abstract: "Run the Host conformance checks against this host's Xen (as root in dom0; make e2e does).")

    @Option(name: .shortAndLong, help: "The config directory holding the disposable template to boot.")
    var config = "/etc/dispo"

    @Option(help: "The DisposableTemplate whose spec the checks boot (it must have a readiness key).")
    var template = "e2e-dvm"

    @Option(help: "A running domain dispo did not make (e.g. one made with xl create); omitted: those checks skip.")
    var foreign: String?

    @Option(help: "Run only these checks (repeatable).")
    var only: [String] = []

    @Option(help: "The names of the domains the checks make start with it.")
    var prefix = "cf-"

    @Flag(help: "Boot the template without its disks (no block hotplug per domain: faster); no check needs them.")
    var withoutDisks = false

    @Flag(help: "List the checks and exit.")
    var list = false

    func run() async throws {
        let checks = HostConformance.checks.filter { only.isEmpty || only.contains($0.name) }
        if list {
            for check in checks { emit(check.name) }
            return
        }
        let unknown = Set(only).subtracting(HostConformance.checks.map(\.name))
        guard unknown.isEmpty else {
            throw ValidationError("no such check: \(unknown.sorted().joined(separator: ", "))")
        }
        let conformance = HostConformance(
            makeHost: { try XenHost(options: XenHost.Options(echoLibxlErrors: false)) }, spec: try spec(),
            neverReady: { _, _ in Readiness(xenstore: "data/conformance-never-written", timeout: .seconds(2)) },
            foreignDomain: foreign, events: .changed(quiet: .seconds(3)), namePrefix: prefix)
        var failed = 0
        let clock = ContinuousClock()
        for check in checks {
            let start = clock.now
            let outcome = await conformance.run(check)
            let elapsed = (clock.now - start).components
            let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
            switch outcome {
            case .passed:
                emit("PASS \(check.name)")
            case .failed(let reason):
                failed += 1
                emit("FAIL \(check.name) \(reason)")
            case .skipped(let reason):
                emit("SKIP \(check.name) \(reason)")
            }
            emit("  info: \(check.name) took \(String(format: "%.1f", seconds)) s")
        }
        if failed > 0 { throw ExitCode(1) }
    }

    /// The spec of `template` in `config` (without its disks if asked), with a readiness key (the checks wait for a
    /// guest that signals).
    private func spec() throws -> EffectiveSpec {
        let result = ConfigLoader().load(directory: config)
        guard result.isValid else {
            throw ValidationError(
                "\(config) does not load: \(result.diagnostics.map(\.description).joined(separator: "; "))")
        }
        guard let spec = result.state.spec(forDisposableTemplate: template) else {
            throw ValidationError("\(config) declares no DisposableTemplate \(template)")
        }
        guard spec.ready != nil else {
            throw ValidationError("\(template) has no readiness key (ready: {xenstore: ...})")
        }
        var booted = spec
        if withoutDisks {
            booted.template.disks = []
            booted.template.volatile = nil
        }
        return booted
    }

    /// One line on stdout, at once (the scenario reads it through a pipe, and a crash must not lose it).
    private func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
