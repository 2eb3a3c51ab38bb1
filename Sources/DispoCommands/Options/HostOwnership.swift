import ArgumentParser
import DispoHost
import Foundation

/// The host lock as the commands use it: one owner per host (``HostLock``). `watch` and `apply` hold it while
/// they run; `sim init` refuses a held host; the others only look.
enum HostOwnership {
    /// Takes `choice`'s lock for this process as `command`, or exits 1 naming the holder and what to do.
    static func acquire(
        _ choice: HostOptions.Choice, command: String, config: String, socket: String?
    ) throws -> HostLock {
        let holder = HostHolder(
            command: command, host: choice.location, config: config, socket: socket, since: Self.now())
        do {
            return try HostLock.acquire(at: choice.lockPath, as: holder)
        } catch {
            switch error {
            case .held(let other, _):
                throw failure(refusal(command: command, location: choice.location, holder: other))
            case .system(let message):
                throw failure(message)
            }
        }
    }

    /// Exits 1 when a live process holds `choice` (for commands that would change the host under it).
    static func refuseIfHeld(_ choice: HostOptions.Choice, command: String) throws {
        guard case .held(let holder) = HostLock.state(at: choice.lockPath) else { return }
        throw failure(refusal(command: command, location: choice.location, holder: holder))
    }

    /// Why `command` may not run on a held host, and what to do instead.
    static func refusal(command: String, location: String, holder: HostHolder?) -> String {
        guard let holder else {
            return "another dispo process holds \(location) (its lock record is not written yet); try again"
        }
        let stop =
            "stop it first (systemctl stop dispo, or kill \(holder.pid))"
        switch (command, holder.command) {
        case ("watch", "watch"):
            return "\(holder.summary) already keeps \(location); a second controller would fight it over the "
                + "same domains. Use that one (dispo status --socket \(holder.socket ?? "...")), or \(stop)"
        case ("sim init", _):
            return "\(holder.summary) holds \(location); sim init would wipe the domains it keeps under it. \(stop.prefix(1).uppercased())\(stop.dropFirst())"
        case (_, "watch"):
            let what = command == "apply" ? "apply" : "dispo \(command)"
            return "\(holder.summary) keeps \(location) in line with \(holder.config); \(what) would fight it. "
                + "Edit that config instead (the controller applies every change; dispo status shows it), or \(stop)"
        default:
            return "\(holder.summary) is changing \(location) now; wait for it to finish, or \(stop)"
        }
    }

    static func now() -> String {
        Date().ISO8601Format(.iso8601.year().month().day().time(includingFractionalSeconds: false))
    }
}
