/// One debounced burst of changes under the watched config directory.
///
/// Level-based: it says *that* something changed, not what; the consumer rescans the directory.
/// `events == 0` marks a fallback tick, sent every few seconds while watches cannot be set
/// (see `ConfigWatcher.problems`).
package struct ConfigChange: Sendable, Hashable {
    /// Relevant inotify events in the burst (editor droppings and hidden files are not counted).
    package var events: Int
    /// When the first event of the burst was read.
    package var firstEventAt: ContinuousClock.Instant
    /// When the last event of the burst was read; the tick follows a quiet `debounce` after it.
    package var lastEventAt: ContinuousClock.Instant
    /// Up to `ConfigChange.pathLimit` distinct paths seen in the burst, in order, for logs.
    package var paths: [String]

    /// How many paths a change keeps at most.
    package static let pathLimit = 20

    package init(
        events: Int, firstEventAt: ContinuousClock.Instant, lastEventAt: ContinuousClock.Instant, paths: [String]
    ) {
        self.events = events
        self.firstEventAt = firstEventAt
        self.lastEventAt = lastEventAt
        self.paths = paths
    }
}

/// A burst being collected on the watcher thread.
struct Burst {
    private(set) var events = 0
    let firstEventAt: ContinuousClock.Instant
    private(set) var lastEventAt: ContinuousClock.Instant
    private var paths: [String] = []
    private var seen: Set<String> = []

    init(startedAt instant: ContinuousClock.Instant) {
        firstEventAt = instant
        lastEventAt = instant
    }

    /// Counts one relevant event at `path`.
    mutating func record(_ path: String, at instant: ContinuousClock.Instant) {
        events += 1
        lastEventAt = instant
        if paths.count < ConfigChange.pathLimit, seen.insert(path).inserted {
            paths.append(path)
        }
    }

    var change: ConfigChange {
        ConfigChange(events: events, firstEventAt: firstEventAt, lastEventAt: lastEventAt, paths: paths)
    }
}
