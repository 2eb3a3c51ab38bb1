import ArgumentParser
import Foundation

/// `--host sim:PATH | xen`, shared by every command that talks to a host.
struct HostOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The host: 'sim:PATH' (a simulated Xen host in a state file) or 'xen'. Default: xen when this is a Xen "
                + "control domain, else sim:$XDG_STATE_HOME/dispo/host.json.", valueName: "HOST"))
    var host: String?

    /// What `--host` (or the default) names.
    enum Choice: Equatable {
        case sim(path: String)
        case xen
    }

    /// Parses `--host`, or picks the default and says so on stderr. A bad value is `dispo: error: ...` and exit
    /// status 1.
    func choice(announce: Bool = true) throws -> Choice {
        if let host {
            if host == "xen" { return .xen }
            if host.hasPrefix("sim:") {
                let path = String(host.dropFirst(4))
                guard !path.isEmpty else { throw failure("--host sim:PATH needs a path, e.g. sim:/tmp/host.json") }
                return .sim(path: path)
            }
            throw failure("unknown host '\(host)'; use 'xen' or 'sim:PATH'")
        }
        if Self.isXenControlDomain { return .xen }
        let path = Self.defaultSimPath
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
