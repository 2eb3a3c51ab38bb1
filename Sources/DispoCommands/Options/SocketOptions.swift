import ArgumentParser
import DispoDaemon
import Foundation

/// `--socket`: where a running daemon listens. Given, it is honoured or refused (see ``DaemonRoute``).
struct SocketOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The daemon's API socket (default: $DISPO_SOCKET, else /run/dispo/dispo.sock as root).",
        valueName: "PATH"))
    var socket: String?

    /// `$DISPO_SOCKET`, else the platform default.
    static var defaultPath: String { SocketPath.defaultPath }
}
