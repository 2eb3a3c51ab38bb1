import DispoDaemon
import DispoHost

/// What a one-shot plan (`dispo diff`) runs beside, found from the host it plans (never from a daemon of another
/// host):
///
/// 1. `--socket P`: the controller on P, which must answer and must keep that host.
/// 2. Otherwise the host's lock: the controller holding it, through the socket its lock record names, when that
///    answers as keeping this host; a holder whose API does not answer (or `dispo apply`, which has none) is
///    planned beside with its half-made domains taken as its work, with a warning.
/// 3. Nothing holds the host: the plan of the host alone, as before.
///
/// Unlike ``DaemonRoute``, a controller applying another config is no error: the config given is planned beside
/// it (``ControllerPlan``).
enum DiffRoute {
    case controller(DaemonIdentity)
    case holder(pid: Int32?)
    case alone

    static func resolve(_ choice: HostOptions.Choice, socket: SocketOptions) async throws -> DiffRoute {
        if let explicit = socket.socket {
            let identity: DaemonIdentity?
            do {
                identity = try await APIClient.identity(explicit)
            } catch {
                throw failure(error.message)
            }
            guard let identity else {
                throw failure("no dispo controller answers on \(explicit) (given by --socket); start dispo watch "
                    + "--socket \(explicit), or leave --socket out to plan beside whatever holds \(choice.location)")
            }
            guard identity.host == choice.location else {
                throw failure("the controller on \(explicit) keeps \(identity.host), not \(choice.location); "
                    + "give --host \(identity.host), or leave --socket out")
            }
            return using(identity, why: "on \(explicit)")
        }
        guard case .held(let holder) = HostLock.state(at: choice.lockPath) else { return .alone }
        guard let holder else {
            return fallback(pid: nil, "another dispo process holds \(choice.location) (its lock record is not written yet)")
        }
        guard holder.command == "watch" else {
            return fallback(pid: holder.pid, "\(holder.summary) is changing \(choice.location) now")
        }
        guard let path = holder.socket else {
            return fallback(pid: holder.pid, "\(holder.summary) holds \(choice.location) and serves no API")
        }
        let problem: String
        do {
            if let identity = try await APIClient.identity(path), identity.host == choice.location {
                return using(identity, why: "holding \(choice.location)")
            }
            problem = "no API of it answers on \(path)"
        } catch {
            problem = error.message
        }
        return fallback(pid: holder.pid, "\(holder.summary) holds \(choice.location), but \(problem)")
    }

    /// The controller it plans beside, said on stderr.
    private static func using(_ identity: DaemonIdentity, why: String) -> DiffRoute {
        StandardError.write("dispo: using the controller (pid \(identity.pid)) \(why): \(identity.socket)")
        return .controller(identity)
    }

    /// A holder without an API that answers, said on stderr.
    static func fallback(pid: Int32?, _ why: String) -> DiffRoute {
        StandardError.write("dispo: warning: \(why); planning from the host, its half-made domains taken as its "
            + "work in flight")
        return .holder(pid: pid)
    }
}
