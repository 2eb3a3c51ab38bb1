public import ArgumentParser
import CBuildInfo

/// The `dispo` command: keeps the disposable VMs of a Xen host the way a directory of YAML files says.
package struct Dispo: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "dispo",
        abstract: "Keep the disposable VMs of a Xen host the way a directory of YAML files says.",
        discussion: """
            Desired state lives in YAML files (apiVersion: dispo/v1) under a config directory:
            -c DIR, else $DISPO_CONFIG, else /etc/dispo.

            Examples:
              dispo validate -c examples/qubes
              dispo validate --json | jq .diagnostics
            """,
        version: DispoVersion.current,
        subcommands: [
            Validate.self, Diff.self, Apply.self, Watch.self, Request.self, Release.self, Status.self, Events.self, Sleep.self,
            Sim.self,
        ]
    )

    package init() {}
}

/// The version printed by `dispo --version`: the release and the git commit built from.
package enum DispoVersion {
    /// The release number (the Debian package's version; the Makefile reads it from here).
    package static let number = "0.1.0"
    /// The commit `make` recorded (`git describe`-style, `-dirty` when the tree had changes), or "unknown" for a
    /// plain `swift build`.
    package static let commit = String(cString: dispo_build_commit())
    package static let current = "\(number) (commit \(commit))"
}
