public import DispoConfig
import DispoEngine
package import Logging

/// What one ``ConfigSource/load()`` gave: the objects, every diagnostic, and names for what was loaded.
///
/// All or nothing: a load with errors has an empty ``state``, so a half-read config can never come into force.
public struct ConfigLoad: Sendable {
    /// The objects, complete; empty when the load has errors.
    public let state: DesiredState
    /// Every diagnostic, sorted by place; errors make the load invalid, warnings are logged.
    public let diagnostics: [Diagnostic]
    /// The source's name for what it loaded: the config digest for a directory, a commit for a repository;
    /// empty when a failed load has nothing to name. Logged beside the digest when it differs.
    public let revision: String
    /// `Digest.config(state)`, what `status` shows as the revision and the host records as observed; empty when
    /// invalid. Computed here, where the load runs, so that the controller's actor does not pay for it.
    public let digest: String

    public var isValid: Bool { !diagnostics.hasErrors }

    /// Builds a load, computing the config digest (it writes the whole state as YAML: build loads off any actor
    /// that serves requests). `revision` defaults to the digest.
    public init(state: DesiredState, diagnostics: [Diagnostic], revision: String? = nil) {
        let valid = !diagnostics.hasErrors
        self.state = valid ? state : DesiredState()
        self.diagnostics = diagnostics.sorted()
        digest = valid ? Digest.config(state) : ""
        self.revision = revision ?? digest
    }

    /// The outcome of a ``ConfigLoader`` run.
    public init(_ result: ConfigLoader.Result, revision: String? = nil) {
        self.init(state: result.state, diagnostics: result.diagnostics, revision: revision)
    }
}

extension ConfigLoad {
    /// Reports a load with errors the way every controller does: logs that the last good config stays in force
    /// (or that none is yet, when `inForce` is false) and each error, and returns the errors and the
    /// `config-invalid` event to record.
    package func reportInvalid(inForce: Bool, logger: Logger) -> (errors: [Diagnostic], event: ControllerEvent) {
        let errors = diagnostics.filter { $0.severity == .error }
        let kept = inForce ? "keeping the last good config" : "no config is in force yet"
        logger.error("config has errors; \(kept)", metadata: ["errors": .stringConvertible(errors.count)])
        for error in errors { logger.error("\(error.description)") }
        var event = ControllerEvent(.configInvalid)
        event.errors = errors.count
        event.detail = errors.first?.description
        return (errors, event)
    }
}
