public import DispoEngine
public import DispoConfig
import DispoWatch
import Foundation

/// The config directory (or single file) as a ``ConfigSource``: ``ConfigLoader`` for loads, the inotify
/// ``ConfigWatcher`` (debounced) for cues. The revision of a load is its config digest.
public final class DirectorySource: ConfigSource {
    public let directory: String
    private let loader: ConfigLoader
    private let watcher: ConfigWatcher

    /// - Parameters:
    ///   - debounce: how long the watcher waits after a file change for more before it cues.
    public init(directory: String, loader: ConfigLoader = ConfigLoader(), debounce: Duration = .milliseconds(200)) {
        self.directory = directory
        self.loader = loader
        watcher = ConfigWatcher(directory: directory, debounce: debounce)
    }

    /// Walks, reads, parses and validates the directory on a thread of its own (file reads and libyaml are
    /// blocking work, kept off the cooperative pool). Concurrent calls run on separate threads.
    public func load() async -> ConfigLoad {
        let loader = self.loader
        let directory = self.directory
        return await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: ConfigLoad(loader.load(directory: directory)))
            }
            thread.name = "dispo-config-load"
            thread.start()
        }
    }

    /// One cue per debounced burst of changes (the watcher's ticks, which follow re-established watches);
    /// finishes with ``stop()``. Call once: the watcher starts on the first call.
    public func changes() -> AsyncStream<ConfigCue> {
        let ticks = watcher.changes()
        return AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let task = Task {
                for await tick in ticks { continuation.yield(Self.cue(tick)) }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// A directory has nothing to report beyond its loads.
    public func status() async -> SourceStatus? { nil }

    /// Stops the watcher: the cue stream finishes.
    public func stop() {
        watcher.stop()
    }

    /// A watcher tick as a cue: how many events, and the first paths seen.
    static func cue(_ tick: ConfigChange) -> ConfigCue {
        guard tick.events > 0 else { return ConfigCue(detail: "periodic rescan (inotify watches are not set)") }
        let paths = tick.paths.joined(separator: ", ")
        return ConfigCue(
            detail: "\(tick.events) event\(tick.events == 1 ? "" : "s")" + (paths.isEmpty ? "" : ": \(paths)"))
    }
}
