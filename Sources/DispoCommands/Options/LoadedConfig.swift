import ArgumentParser
import DispoConfig

/// Loads the config for commands that act on it; diagnostics go to stderr.
enum LoadedConfig {
    /// The desired state, or exit 1 (nothing done) when the config is invalid.
    static func load(_ options: ConfigOptions) throws -> DesiredState {
        let result = loadAllowingErrors(options)
        guard result.isValid else {
            let directory = options.resolvedDirectory
            throw failure(
                "the config in \(directory) has \(plural(result.diagnostics.errorCount, "error")); nothing was done")
        }
        return result.state
    }

    /// Loads and prints the diagnostics, whatever they are.
    static func loadAllowingErrors(_ options: ConfigOptions) -> ConfigLoader.Result {
        let directory = options.resolvedDirectory
        let result = ConfigLoader().load(directory: directory)
        var renderer = DiagnosticRenderer(terminal: .standardError, directory: directory)
        for diagnostic in result.diagnostics { StandardError.write(renderer.render(diagnostic)) }
        return result
    }
}
