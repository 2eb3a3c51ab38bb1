import DispoConfig
import DispoDaemon
import DispoEngine
import Foundation
import HandoutBench
import LoadBench
import Logging
import Synchronization

// Latency of a preloaded hand-out through the controller (`Controller.request`, no socket) while the controller
// reloads a 10,000-object config directory again and again, next to the same figure with no reload going on.
// Each reload walks, reads, parses and validates the whole generated directory (Benchmarks/load/generate.py),
// then puts HandoutLatency's three objects in force, so that the passes stay as small as HandoutLatency's and
// what differs is only where the load runs. Built with RELOAD_ON_ACTOR (`DISPO_RELOAD_BEFORE=1`, in a copy of the
// commit before the config-source seam), the load runs as `loadConfig` did then: on the controller's actor.
//
// usage: HandoutReload [--requests N] [--batch N]      (DISPO_BENCH_CONFIG: the 10,000-object directory)

let (requests, batch) = HandoutBench.arguments(requests: 200, batch: 40)

let fixture = LoadFixture.prepare()
let small = ConfigLoader(strictModes: false).load(sources: [("c.yaml", Array(HandoutBench.config(batch: batch).utf8))])

/// Reloads ended, and the time they took.
final class Reloads: Sendable {
    private let state = Mutex((ended: 0, seconds: 0.0))

    func end(_ start: ContinuousClock.Instant) {
        let seconds = HandoutBench.milliseconds(ContinuousClock.now - start) / 1000
        state.withLock {
            $0.ended += 1
            $0.seconds += seconds
        }
    }

    var ended: Int { state.withLock { $0.ended } }
    var meanSeconds: Double { state.withLock { $0.ended == 0 ? 0 : $0.seconds / Double($0.ended) } }
}
let reloads = Reloads()

let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
#if RELOAD_ON_ACTOR
    let mode = "before: loadConfig runs on the controller's actor"
    let controller = Controller(
        host: HandoutBench.host(), options: HandoutBench.options, logger: logger,
        loadConfig: {
            let start = ContinuousClock.now
            _ = LoadFixture.loader.load(directory: fixture.directory)
            reloads.end(start)
            return small
        })
#else
    let mode = "after: the controller awaits its ConfigSource off its actor"
    /// The real directory source's load of the 10,000 objects, then the benchmark's config.
    struct ReloadingSource: ConfigSource {
        let directory = DirectorySource(directory: fixture.directory, loader: LoadFixture.loader)

        func load() async -> ConfigLoad {
            let start = ContinuousClock.now
            let loaded = await directory.load()
            reloads.end(start)
            return ConfigLoad(small, revision: loaded.revision)
        }

        func changes() -> AsyncStream<ConfigCue> { AsyncStream { $0.finish() } }
        func status() async -> SourceStatus? { nil }
    }
    let controller = Controller(
        host: HandoutBench.host(), options: HandoutBench.options, logger: logger, source: ReloadingSource())
#endif
let runner = Task { await controller.run() }

/// Hand-out times (ms) of `requests` preloaded requests, in batches of `batch` with 0-10 ms between requests so
/// that they land anywhere in a reload; with `reloading`, a new reload is asked for as soon as one ends.
@MainActor func measure(reloading: Bool) async throws -> (times: [Double], reloads: Int) {
    let reloader = Task {
        while reloading, !Task.isCancelled {
            let ended = reloads.ended
            controller.trigger(.configChanged)
            while reloads.ended == ended, !Task.isCancelled { try? await Task.sleep(for: .milliseconds(1)) }
        }
    }
    let clock = ContinuousClock()
    var times: [Double] = []
    let reloadsBefore = reloads.ended
    while times.count < requests {
        try await HandoutBench.waitFull(controller, batch: batch, limit: 120)
        for _ in 0..<batch where times.count < requests {
            try await Task.sleep(for: .microseconds(Int.random(in: 0...10_000)))
            let start = clock.now
            let handout = try await controller.request(target: "default-dvm", source: nil)
            if handout.preloaded { times.append(HandoutBench.milliseconds(clock.now - start)) }
        }
    }
    reloader.cancel()
    await reloader.value
    return (times, reloads.ended - reloadsBefore)
}

while await controller.desired == nil { try await Task.sleep(for: .milliseconds(20)) }
let quiet = try await measure(reloading: false)
let busy = try await measure(reloading: true)
await controller.stop()
_ = await runner.value

let percentile = HandoutBench.percentile
let f = HandoutBench.format
print("hand-out through the controller, \(mode)")
print(
    "  \(fixture.objects) objects in \(fixture.files.count) files: \(busy.reloads) reloads during the reloading run,"
        + " \(f(reloads.meanSeconds * 1000)) ms a load")
for (name, run) in [("no reload", quiet), ("reloading", busy)] {
    print(
        "  \(name)  p50 \(f(percentile(run.times, 0.5))) ms  p99 \(f(percentile(run.times, 0.99))) ms"
            + "  max \(f(run.times.max() ?? 0)) ms  (\(run.times.count) preloaded)")
}
