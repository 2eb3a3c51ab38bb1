import ArgumentParser
import DispoDaemon
import Foundation

/// `dispo events`: follows what the controller does.
struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow what the controller does: hand-outs, releases, actions, failures, config loads.",
        discussion: """
            Prints one line per event as it happens, until the controller stops (exit 0) or
            Ctrl-C. Needs a running controller (dispo watch); it is found as dispo status finds
            it. Events: handed-out, released, started, shrunk (a preload's memory shrink before
            its pause, measured), done, failed, adopted (a preload unpaused outside dispo),
            config-loaded (with the objects added, removed and changed), config-invalid,
            config-valid-again, reconciled. The same stream is served as JSON
            lines by GET /v1/events (?since=N replays the kept events after number N).

            Examples:
              dispo events
              dispo events --since 0            # the kept events first, then new ones
              dispo events --json | jq -c 'select(.type == "failed")'
            """)

    @OptionGroup var hostOptions: HostOptions
    @OptionGroup var socketOptions: SocketOptions

    @Option(help: ArgumentHelp("First print the kept events after this number (0: all kept).", valueName: "N"))
    var since: Int?

    @Flag(help: "Print each event as one JSON object per line.")
    var json = false

    func validate() throws {
        if let since, since < 0 { throw ValidationError("--since must be 0 or more, found \(since)") }
    }

    func run() async throws {
        guard case .daemon(let daemon) = try await DaemonRoute.resolve(
            host: hostOptions, socket: socketOptions, config: nil, readOnly: true)
        else {
            throw failure("no controller answers for this host; dispo events follows a running dispo watch")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            for try await event in APIClient.events(since: since, socket: daemon.socket) {
                let line = json ? String(decoding: try encoder.encode(event), as: UTF8.self) : event.line
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            }
        } catch let refusal as APIClient.Refusal {
            throw failure(refusal.message)
        } catch {
            throw failure("the stream from \(daemon.socket) broke: \(error)")
        }
    }
}
