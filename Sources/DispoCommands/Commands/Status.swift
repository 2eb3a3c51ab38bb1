import ArgumentParser
import DispoConfig
import DispoEngine
import DispoDaemon
import DispoHost
import Foundation

/// `dispo status`: desired vs actual — queues, named disposables, disposables in use.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show desired vs actual: preload queues (ready/max), named disposables, disposables in use.",
        discussion: """
            When a daemon (dispo watch) answers on the socket, its view is shown: the config in
            force, its errors and its reconcile history. Otherwise dispo reads the config and the
            host directly. Works even when the config has errors: they are listed, and the rest is
            shown as far as it can be. Exit status 0.

            Examples:
              dispo status --host sim:/tmp/host.json
              dispo status --json | jq '.templates[].preload'
            """)

    @OptionGroup var config: ConfigOptions
    @OptionGroup var hostOptions: HostOptions
    @OptionGroup var socketOptions: SocketOptions

    @Flag(help: "Print the status as one JSON document.")
    var json = false

    func run() async throws {
        if let socket = await socketOptions.daemon() {
            try await fromDaemon(socket)
            return
        }
        let loaded = LoadedConfig.loadAllowingErrors(config)
        let host = try HostFactory.open(hostOptions)
        let snapshot = try await performing { () throws(HostError) in try await host.snapshot() }
        let report = StatusReport.make(
            desired: loaded.state,
            configErrors: loaded.diagnostics.filter { $0.severity == .error }.map(\.description),
            revisions: await Revisions.compute(loaded.state, host: host), snapshot: snapshot,
            backend: host.backend, location: host.location)
        try show(report)
    }

    /// The running daemon's view: its config in force, its errors and history.
    private func fromDaemon(_ socket: String) async throws {
        let reply: APIClient.Reply
        do {
            reply = try await APIClient.send("GET", "/v1/status", socket: socket)
        } catch {
            throw failure("the daemon at \(socket) did not answer: \(error)")
        }
        guard reply.status == 200, let report = try? JSONDecoder().decode(StatusReport.self, from: reply.body) else {
            throw failure("the daemon at \(socket) answered \(reply.status): \(String(decoding: reply.body, as: UTF8.self))")
        }
        try show(report)
    }

    private func show(_ report: StatusReport) throws {
        if json {
            try JSONOutput.print(report)
        } else {
            print(StatusRenderer(terminal: .standardOutput).render(report), terminator: "")
        }
    }
}
