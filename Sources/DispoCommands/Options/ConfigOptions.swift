import ArgumentParser
import Foundation

/// Where the config comes from, for every command that reads it: a directory (`-c`), or a git repository
/// described by a source file (`--git`).
struct ConfigOptions: ParsableArguments {
    @Option(
        name: [.customShort("c"), .customLong("config")],
        help: ArgumentHelp("The config directory (or a single YAML file).", valueName: "DIR"))
    var directory: String?

    @Option(
        name: .customLong("git"),
        help: ArgumentHelp(
            "A source file (kind: GitSource): take the config from a git repository instead (default: $DISPO_GIT_SOURCE).",
            valueName: "FILE"))
    var sourceFile: String?

    func validate() throws {
        if directory != nil, sourceFile != nil {
            throw ValidationError("give either -c DIR or --git FILE, not both")
        }
    }

    /// `--git`, then `$DISPO_GIT_SOURCE` (unless `-c` is given); nil: the config is a directory.
    var resolvedSource: String? {
        if let sourceFile { return sourceFile }
        if directory != nil { return nil }
        if let fromEnvironment = ProcessInfo.processInfo.environment["DISPO_GIT_SOURCE"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return nil
    }

    /// `-c`, then `$DISPO_CONFIG`, then `/etc/dispo`.
    var resolvedDirectory: String {
        if let directory { return directory }
        if let fromEnvironment = ProcessInfo.processInfo.environment["DISPO_CONFIG"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return "/etc/dispo"
    }

    /// What a controller started with these options says it applies (`DaemonIdentity.config`): the absolute
    /// config directory, or `source:` and the absolute source file.
    var identity: String {
        if let source = resolvedSource { return "source:" + canonicalPath(source) }
        return canonicalPath(resolvedDirectory)
    }

    /// The config's name in messages: the directory, or `the source NAME` once the file is read.
    var shownName: String {
        resolvedSource.map { "the git source of \($0)" } ?? resolvedDirectory
    }

    /// Whether the user named the config (`-c` or `--git`), so that a daemon applying another is an error.
    var isExplicit: Bool { directory != nil || sourceFile != nil }
}
