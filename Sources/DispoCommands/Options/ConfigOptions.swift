import ArgumentParser
import Foundation

/// The config directory option shared by every command that reads the YAML files.
struct ConfigOptions: ParsableArguments {
    @Option(
        name: [.customShort("c"), .customLong("config")],
        help: ArgumentHelp("The config directory (or a single YAML file).", valueName: "DIR"))
    var directory: String?

    /// `-c`, then `$DISPO_CONFIG`, then `/etc/dispo`.
    var resolvedDirectory: String {
        if let directory { return directory }
        if let fromEnvironment = ProcessInfo.processInfo.environment["DISPO_CONFIG"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return "/etc/dispo"
    }
}
