import DispoTestKit
import Foundation
import Testing

@testable import DispoWatch

extension WatchTests {
    /// Debouncing, quiet periods, stopping, and the fallback when watches cannot be set.
    struct Lifecycle {
        @Test func burstOfFiftyWritesIsOneTick() async throws {
            let dir = try TemporaryDirectory(["a.yaml": "0"])
            let debounce = Duration.milliseconds(400)  // roomy, so a loaded CI machine still writes within it
            let probe = await WatchProbe(dir.path, debounce: debounce)
            let start = ContinuousClock.now
            for index in 1...50 {
                try Files.writeInPlace(dir.path + "/file\(index % 7).yaml", "\(index)")
            }
            #expect(start.duration(to: .now) < debounce, "the burst itself took too long to test debouncing")
            let first = try #require(await probe.nextTick())
            let more = await probe.ticks(during: .milliseconds(800))
            #expect(more.count <= 1, "\(1 + more.count) ticks for one burst")
            #expect(first.events + more.reduce(0) { $0 + $1.events } >= 50)
            #expect(first.paths.count <= ConfigChange.pathLimit && first.paths.contains(dir.path + "/file1.yaml"))
            #expect(first.firstEventAt <= first.lastEventAt)
            #expect(first.lastEventAt.duration(to: .now) >= debounce)
        }

        @Test func noTickWhileNothingChanges() async throws {
            let dir = try TemporaryDirectory(["a.yaml": "a", "sub/b.yaml": "b"])
            let probe = await WatchProbe(dir.path)
            #expect(await probe.ticks(during: .seconds(1)).isEmpty)
            // Reading the config is not a change.
            _ = Files.read(dir.path + "/a.yaml")
            #expect(await probe.ticks(during: .milliseconds(500)).isEmpty)
        }

        @Test func stopFinishesTheStreamPromptly() async throws {
            let dir = try TemporaryDirectory(["a.yaml": "a"])
            let probe = await WatchProbe(dir.path)
            let stoppedAt = ContinuousClock.now
            probe.watcher.stop()
            #expect(await WatchProbe.poll(within: .seconds(1)) { probe.log.finishedAt != nil })
            #expect(await WatchProbe.poll(within: .seconds(1)) { !probe.watcher.control.threadRunning })
            if let finishedAt = probe.log.finishedAt {
                #expect(stoppedAt.duration(to: finishedAt) < .milliseconds(500))
            }
            // A stopped watcher hands out finished streams.
            var iterator = probe.watcher.changes().makeAsyncIterator()
            #expect(await iterator.next() == nil)
        }

        @Test func cancellingTheConsumerStopsTheThread() async throws {
            let dir = try TemporaryDirectory(["a.yaml": "a"])
            let watcher = ConfigWatcher(directory: dir.path)
            let stream = watcher.changes()
            let consumer = Task { for await _ in stream {} }
            #expect(await WatchProbe.poll(within: .seconds(5)) { watcher.control.establishments > 0 })
            consumer.cancel()
            #expect(await WatchProbe.poll(within: .seconds(1)) { !watcher.control.threadRunning })
        }

        @Test func watchLimitFallsBackToPeriodicTicks() async throws {
            let dir = try TemporaryDirectory(["a.yaml": "a"])
            var options = WatchOptions()
            options.watchLimit = 0
            options.fallbackInterval = .milliseconds(300)
            let probe = await WatchProbe(dir.path, options: options)
            var problems = probe.watcher.problems.makeAsyncIterator()
            let problem = try #require(await problems.next())
            #expect(problem.contains("max_user_watches") && problem.contains("rescanning"))
            #expect(probe.watcher.lastProblem == problem)
            let first = try #require(await probe.nextTick(within: .seconds(2)))
            let second = try #require(await probe.nextTick(within: .seconds(2)))
            #expect(first.events == 0 && second.events == 0)
            // Changes are still picked up by the rescans those ticks cause.
            try Files.writeInPlace(dir.path + "/a.yaml", "b")
            try await probe.tick(until: { Files.read(dir.path + "/a.yaml") == "b" })
        }

        @Test func secondWatcherWaitsForTheLibraryThenWatches() async throws {
            let dir = try TemporaryDirectory(["a.yaml": "a"])
            let first = await WatchProbe(dir.path)
            var options = WatchOptions()
            options.libraryWait = .milliseconds(100)
            options.fallbackInterval = .milliseconds(300)
            let second = await WatchProbe(dir.path, options: options)
            #expect(second.watcher.lastProblem?.contains("another ConfigWatcher") == true)
            first.watcher.stop()
            #expect(await WatchProbe.poll(within: .seconds(3)) { second.watcher.lastProblem == nil })
            _ = await second.ticks(during: .milliseconds(400))
            try Files.writeInPlace(dir.path + "/a.yaml", "b")
            let change = try #require(await second.nextTick())
            #expect(change.events > 0)
        }
    }
}
