import Foundation
import Synchronization
import Testing

@testable import DispoWatch

/// The ticks a watcher yielded so far, filled by a reader task.
final class TickLog: Sendable {
    private struct State {
        var changes: [ConfigChange] = []
        var finishedAt: ContinuousClock.Instant?
    }

    private let state = Mutex(State())

    func append(_ change: ConfigChange) { state.withLock { $0.changes.append(change) } }
    func finish() { state.withLock { $0.finishedAt = ContinuousClock.now } }
    var changes: [ConfigChange] { state.withLock { $0.changes } }
    var finishedAt: ContinuousClock.Instant? { state.withLock { $0.finishedAt } }
}

/// A running watcher under test: waits (bounded, wall time) for ticks and for the stream to end.
final class WatchProbe {
    let watcher: ConfigWatcher
    let log = TickLog()
    private var consumed = 0

    /// Starts watching `directory` and returns once the first watches are set.
    init(
        _ directory: String, debounce: Duration = .milliseconds(200), options: WatchOptions = WatchOptions(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        watcher = ConfigWatcher(directory: directory, debounce: debounce, options: options)
        let stream = watcher.changes()
        let log = log
        Task {
            for await change in stream { log.append(change) }
            log.finish()
        }
        let ready = await Self.poll(within: .seconds(5)) { [watcher] in watcher.control.establishments > 0 }
        #expect(ready, "the watcher never set its watches", sourceLocation: sourceLocation)
    }

    deinit { watcher.stop() }

    /// The next tick not consumed yet, waiting up to `limit`.
    func nextTick(within limit: Duration = .seconds(5)) async -> ConfigChange? {
        let log = log
        let index = consumed
        guard await Self.poll(within: limit, { log.changes.count > index }) else { return nil }
        consumed += 1
        return log.changes[index]
    }

    /// Waits for ticks until `done()` holds after one (a rescan then would see the change); false on timeout.
    func tick(
        until done: () throws -> Bool, within limit: Duration = .seconds(5),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let deadline = ContinuousClock.now + limit
        var ticks = 0
        while ContinuousClock.now < deadline {
            guard await nextTick(within: ContinuousClock.now.duration(to: deadline)) != nil else { break }
            ticks += 1
            if try done() { return }
        }
        Issue.record(
            ticks == 0 ? "no tick within \(limit)" : "\(ticks) tick(s) but the change was not visible after them",
            sourceLocation: sourceLocation)
    }

    /// Ticks that arrive during `period` (after the ones consumed so far).
    func ticks(during period: Duration) async -> [ConfigChange] {
        try? await Task.sleep(for: period)
        let fresh = Array(log.changes.dropFirst(consumed))
        consumed += fresh.count
        return fresh
    }

    /// Polls `condition` every 10 ms for up to `limit`.
    static func poll(within limit: Duration, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }
}
