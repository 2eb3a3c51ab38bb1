import ArgumentParser
import DispoConfig
import DispoDaemon
import DispoEngine
import DispoGit
import Logging

/// Loads the config for commands that act on it, from a directory or a git source; diagnostics go to stderr.
enum LoadedConfig {
    /// What was loaded, with the source's report when the config came from git.
    struct Loaded {
        var result: ConfigLoader.Result
        /// Set for a git source: the commits applied and fetched, and any problem.
        var source: SourceStatus?
        /// The commit the config was read from (`main@sha1:...`), for a git source.
        var revision: String?
    }

    /// The desired state, or exit 1 (nothing done) when the config is invalid.
    static func load(_ options: ConfigOptions) async throws -> DesiredState {
        let loaded = try await loadAllowingErrors(options)
        guard loaded.result.isValid else {
            throw failure(
                "the config in \(options.shownName) has \(plural(loaded.result.diagnostics.errorCount, "error")); nothing was done")
        }
        return loaded.result.state
    }

    /// Loads and prints the diagnostics, whatever they are; exit 1 only for a source file that cannot be used.
    static func loadAllowingErrors(_ options: ConfigOptions) async throws -> Loaded {
        if let source = try openSource(options) {
            _ = await source.refresh()
            let load = await source.load()
            let status = await source.status()
            if let problem = status?.error { StandardError.write("dispo: source \(source.spec.name): \(problem)") }
            let result = ConfigLoader.Result(state: load.state, diagnostics: load.diagnostics, files: [])
            var renderer = DiagnosticRenderer(terminal: .standardError, directory: nil)
            for diagnostic in load.diagnostics { StandardError.write(renderer.render(diagnostic)) }
            if load.isValid, !load.revision.isEmpty { StandardError.write("dispo: config from \(load.revision)") }
            return Loaded(result: result, source: status, revision: load.isValid ? load.revision : nil)
        }
        let directory = options.resolvedDirectory
        let result = ConfigLoader().load(directory: directory)
        var renderer = DiagnosticRenderer(terminal: .standardError, directory: directory)
        for diagnostic in result.diagnostics { StandardError.write(renderer.render(diagnostic)) }
        return Loaded(result: result)
    }

    /// The git source of `--git` (nil when the config is a directory); a source file with errors prints
    /// them and exits 1.
    static func openSource(_ options: ConfigOptions, logger: Logger? = nil) throws -> GitSource? {
        guard let path = options.resolvedSource else { return nil }
        let file = GitSourceFile.load(path: path)
        var renderer = DiagnosticRenderer(terminal: .standardError, directory: path)
        for diagnostic in file.diagnostics { StandardError.write(renderer.render(diagnostic)) }
        guard let spec = file.spec else {
            throw failure("the source file \(path) has \(plural(file.diagnostics.errorCount, "error")); nothing was done")
        }
        return GitSource(spec: spec, logger: logger ?? Logger(label: "dispo", factory: { _ in SwiftLogNoOpLogHandler() }))
    }
}
