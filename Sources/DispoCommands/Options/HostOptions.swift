import ArgumentParser
import DispoHost
import Foundation

/// `--host sim:PATH | xen`, shared by every command that talks to a host.
struct HostOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The host: 'sim:PATH' (a simulated Xen host in a state file) or 'xen'. Default: xen when this is a Xen "
                + "control domain, else sim:$XDG_STATE_HOME/dispo/host.json.", valueName: "HOST"))
    var host: String?

    /// True when `--host` was given: then it is honoured or refused, never swapped for a daemon's host.
    var isExplicit: Bool { host != nil }

    /// What `--host` (or the default) names.
    enum Choice: Equatable {
        /// A simulated host; `path` is absolute, with the folder's symlinks resolved when it exists.
        case sim(path: String)
        case xen

        /// How dispo names the host (`sim:/abs/host.json`, `xen`): what a daemon's identity is compared with.
        var location: String {
            switch self {
            case .sim(let path): return "sim:\(path)"
            case .xen: return "xen"
            }
        }

        /// The host's owner lock (``HostLock``): beside the state file for the sim, in `/run/dispo` for Xen.
        var lockPath: String {
            switch self {
            case .sim(let path): return path + ".owner"
            case .xen: return HostOptions.xenLockPath
            }
        }
    }

    /// Where the Xen host's owner lock lives (dom0 has one Xen host).
    static let xenLockPath = "/run/dispo/xen.lock"

    /// Parses `--host`, or picks the default and says so on stderr. A bad value is `dispo: error: ...` and exit
    /// status 1.
    func choice(announce: Bool = true) throws -> Choice {
        if let host {
            if host == "xen" { return .xen }
            if host.hasPrefix("sim:") {
                let path = String(host.dropFirst(4))
                guard !path.isEmpty else { throw failure("--host sim:PATH needs a path, e.g. sim:/tmp/host.json") }
                return .sim(path: canonicalPath(path))
            }
            throw failure("unknown host '\(host)'; use 'xen' or 'sim:PATH'")
        }
        if Self.isXenControlDomain { return .xen }
        let path = canonicalPath(Self.defaultSimPath)
        if announce { StandardError.write("dispo: no Xen control domain here; using the simulated host sim:\(path)") }
        return .sim(path: path)
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
