import ArgumentParser
import DispoDaemon
import Foundation

/// `--socket`: where a running daemon listens; commands use it when the daemon answers.
struct SocketOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The daemon's API socket (default: $DISPO_SOCKET, else /run/dispo/dispo.sock as root).",
        valueName: "PATH"))
    var socket: String?

    var path: String { socket ?? SocketPath.defaultPath }

    /// The socket path when a daemon answers on it, else nil (act on the host directly).
    func daemon() async -> String? {
        APIClient.isServing(path) ? path : nil
    }
}
