import ArgumentParser
import DispoDaemon
import DispoHost

/// Whether a command that can go through the controller (`request`, `release`, `status`) does, decided so
/// that flags given on the command line win:
///
/// 1. `--socket P`: the daemon on P, which must answer and must serve the `--host` and `-c` given, if any.
/// 2. Neither `--socket` nor `--host`: a daemon answering on the default socket, which must apply the `-c` given.
/// 3. Otherwise the host (`--host`, or the default): when a controller holds it, its socket (from the host
///    lock), checked the same way; else the host directly.
///
/// Using a daemon is announced on stderr; a daemon that serves another host or config is an error.
enum DaemonRoute {
    case daemon(DaemonIdentity)
    case direct(HostOptions.Choice)

    /// - Parameter readOnly: a read-only command may read the host itself when its controller serves no socket.
    static func resolve(
        host: HostOptions, socket: SocketOptions, config: ConfigOptions?, readOnly: Bool = false
    ) async throws -> DaemonRoute {
        if let explicit = socket.socket {
            guard let identity = try await probe(explicit) else {
                throw failure("no dispo controller answers on \(explicit) (given by --socket); start dispo watch "
                    + "--socket \(explicit), or leave --socket out to act on the host directly")
            }
            return try accept(identity, host: host, config: config, why: "on \(explicit)")
        }
        if !host.isExplicit, let identity = try await probe(SocketOptions.defaultPath) {
            return try accept(identity, host: host, config: config, why: "on \(identity.socket)")
        }
        let choice = try host.choice()
        guard case .held(let holder?) = HostLock.state(at: choice.lockPath), holder.command == "watch" else {
            return .direct(choice)
        }
        if let path = holder.socket, let identity = try await probe(path), identity.host == choice.location {
            return try accept(identity, host: host, config: config, why: "holding \(choice.location)")
        }
        guard readOnly else {
            throw failure("\(holder.summary) holds \(choice.location), but no API answers on its socket; "
                + "requests must go through it. Start it with a socket, or stop it to act on the host directly")
        }
        StandardError.write("dispo: \(holder.summary) holds \(choice.location) and serves no API; reading the host")
        return .direct(choice)
    }

    private static func probe(_ path: String) async throws -> DaemonIdentity? {
        do {
            return try await APIClient.identity(path)
        } catch {
            throw failure(error.message)
        }
    }

    /// The daemon, once it proved to serve what the flags name.
    private static func accept(
        _ identity: DaemonIdentity, host: HostOptions, config: ConfigOptions?, why: String
    ) throws -> DaemonRoute {
        if host.isExplicit {
            let wanted = try host.choice()
            guard wanted.location == identity.host else {
                throw failure("the controller on \(identity.socket) keeps \(identity.host), not \(wanted.location) "
                    + "(given by --host); use its socket for that host, or leave --socket out")
            }
        }
        if let config, config.isExplicit {
            let wanted = config.identity
            guard wanted == identity.config else {
                let flag = config.sourceFile != nil ? "--git" : "-c"
                throw failure("the controller on \(identity.socket) applies \(identity.config), not \(wanted) "
                    + "(given by \(flag)); it serves its own config only. Leave \(flag) out, or stop it to use another config")
            }
        }
        StandardError.write("dispo: using the controller (pid \(identity.pid)) \(why): \(identity.socket)")
        return .daemon(identity)
    }
}

extension DaemonIdentity {
    /// A Qubes controller (`dispo watch --host qubes`): its status is a ``QubesStatus``.
    var isQubes: Bool { host == "qubes" || host.hasPrefix("qubes:") }
}
