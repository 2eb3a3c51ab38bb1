import ArgumentParser
import DispoHost
import Foundation

/// `--host sim:PATH | xen`, shared by every command that talks to a host.
struct HostOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The host: 'sim:PATH' (a simulated Xen host in a state file), 'xen', or 'qubes[:SOCKET]' (qubesd's Admin "
                + "API, default socket /var/run/qubesd.sock). Default: qubes in a Qubes OS dom0, xen in another Xen "
                + "control domain, else sim:$XDG_STATE_HOME/dispo/host.json.", valueName: "HOST"))
    var host: String?

    /// True when `--host` was given: then it is honoured or refused, never swapped for a daemon's host.
    var isExplicit: Bool { host != nil }

    /// What `--host` (or the default) names.
    enum Choice: Equatable {
        /// A simulated host; `path` is absolute, with the folder's symlinks resolved when it exists.
        case sim(path: String)
        case xen
        /// qubesd's Admin API on this socket (absolute): the Qubes reconcile path, not the `Host` seam.
        case qubes(socket: String)

        /// How dispo names the host (`sim:/abs/host.json`, `xen`): what a daemon's identity is compared with.
        var location: String {
            switch self {
            case .sim(let path): return "sim:\(path)"
            case .xen: return "xen"
            case .qubes(let socket): return socket == HostOptions.qubesSocket ? "qubes" : "qubes:\(socket)"
            }
        }

        /// The host's owner lock (``HostLock``): beside the state file for the sim, in `/run/dispo` for Xen.
        var lockPath: String {
            switch self {
            case .sim(let path): return path + ".owner"
            case .xen: return HostOptions.xenLockPath
            case .qubes(let socket):
                return socket == HostOptions.qubesSocket ? "/run/dispo/qubes.lock" : socket + ".dispo-owner"
            }
        }
    }

    /// qubesd's Admin API socket in a Qubes OS dom0.
    static let qubesSocket = "/var/run/qubesd.sock"

    /// Where the Xen host's owner lock lives (dom0 has one Xen host).
    static let xenLockPath = "/run/dispo/xen.lock"

    /// Parses `--host`, or picks the default and says so on stderr. A bad value is `dispo: error: ...` and exit
    /// status 1.
    func choice(announce: Bool = true) throws -> Choice {
        if let host {
            if host == "xen" { return .xen }
            if host == "qubes" { return .qubes(socket: Self.qubesSocket) }
            if host.hasPrefix("qubes:") {
                let path = String(host.dropFirst(6))
                guard !path.isEmpty else { throw failure("--host qubes:SOCKET needs a path, e.g. qubes:/var/run/qubesd.sock") }
                return .qubes(socket: canonicalPath(path))
            }
            if host.hasPrefix("sim:") {
                let path = String(host.dropFirst(4))
                guard !path.isEmpty else { throw failure("--host sim:PATH needs a path, e.g. sim:/tmp/host.json") }
                return .sim(path: canonicalPath(path))
            }
            throw failure("unknown host '\(host)'; use 'xen', 'qubes[:SOCKET]' or 'sim:PATH'")
        }
        if Self.isQubesDom0 {
            if announce { StandardError.write("dispo: this is a Qubes OS dom0; using qubesd (--host qubes)") }
            return .qubes(socket: Self.qubesSocket)
        }
        if Self.isXenControlDomain { return .xen }
        let path = canonicalPath(Self.defaultSimPath)
        if announce { StandardError.write("dispo: no Xen control domain here; using the simulated host sim:\(path)") }
        return .sim(path: path)
    }

    /// A Qubes OS dom0: qubesd's socket and `/etc/qubes-release` are there (every domain belongs to qubesd).
    static var isQubesDom0: Bool {
        FileManager.default.fileExists(atPath: "/etc/qubes-release")
            && FileManager.default.fileExists(atPath: qubesSocket)
    }

    /// `/proc/xen/capabilities` says `control_d` in a Xen dom0.
    static var isXenControlDomain: Bool {
        guard let text = try? String(contentsOfFile: "/proc/xen/capabilities", encoding: .utf8) else { return false }
        return text.contains("control_d")
    }

    /// `$XDG_STATE_HOME/dispo/host.json`, else `~/.local/state/dispo/host.json`.
    static var defaultSimPath: String {
        let environment = ProcessInfo.processInfo.environment
        if let state = environment["XDG_STATE_HOME"], !state.isEmpty { return state + "/dispo/host.json" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.local/state/dispo/host.json"
    }
}

/// `path` absolute (against the working directory), with `.`/`..` folded and the symlinks of its folder resolved when the folder exists (the last
/// component is kept as written, so a file that does not exist yet still has one name): two spellings of one
/// state file or config directory compare equal.
func canonicalPath(_ path: String) -> String {
    let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    let standard = (absolute as NSString).standardizingPath
    let directory = (standard as NSString).deletingLastPathComponent
    let name = (standard as NSString).lastPathComponent
    guard let resolved = realpath(directory, nil) else { return standard }
    defer { free(resolved) }
    let folder = String(cString: resolved)
    return folder == "/" ? "/" + name : folder + "/" + name
}
