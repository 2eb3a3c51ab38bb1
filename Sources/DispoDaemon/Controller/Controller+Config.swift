import DispoConfig
import Logging

/// The controller's side of the ``ConfigSource`` seam: cues wake the loop with a reload, loads run elsewhere.
extension Controller {
    /// Subscribes to the source's cues (before the first load, so no change falls between the two); each cue
    /// asks the loop to reload, and a burst of them is one reload. Cancel the task to stop following.
    func followConfigCues() -> Task<Void, Never> {
        let cues = source.changes()
        return Task { [logger] in
            for await cue in cues {
                logger.debug("config changed", metadata: ["cue": "\(cue.detail)"])
                self.trigger(.configChanged)
            }
        }
    }

    /// Runs the source's load on the global executor, never on the controller's actor, whatever the source's
    /// own isolation: a request reaches the actor while a big config loads. What a new config changes is worked
    /// out there too, against the config in force when the load began (`base`, whose digest is `baseDigest`).
    @concurrent
    nonisolated static func load(
        from source: any ConfigSource, over base: DesiredState?, baseDigest: String?
    ) async -> Reload {
        let load = await source.load()
        guard load.isValid, load.digest != baseDigest else { return Reload(load: load, baseDigest: baseDigest) }
        return Reload(load: load, baseDigest: baseDigest, changes: ConfigChanges(from: base, to: load.state))
    }

    /// A finished load, with what it changes from the config that was in force when it began.
    struct Reload: Sendable {
        var load: ConfigLoad
        var baseDigest: String?
        /// Set when the load is valid and its digest differs from `baseDigest`.
        var changes: ConfigChanges?
    }
}
