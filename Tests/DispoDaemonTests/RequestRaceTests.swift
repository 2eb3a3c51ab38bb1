import DispoTestKit
import DispoConfig
import DispoDaemon
import DispoEngine
import DispoHost
import DispoSim
import Foundation
import Synchronization
import Testing

/// Requests through the controller while it refills, and across a controller restart mid-hand-out.
struct RequestRaceTests {
    /// Runs a request while stepping virtual time, and returns its outcome.
    static func request(_ world: ControllerWorld, _ target: String? = nil) async throws -> Handout {
        let controller = world.controller
        let done = Done()
        let task = Task { () throws(RequestError) -> Handout in
            defer { done.set() }
            return try await controller.request(target: target, source: nil)
        }
        await world.settle(seconds: 120) { done.isSet }
        return try await task.value
    }

    @Test func aRequestRacingTheRefillGetsAFreshDisposable() async throws {
        let world = ControllerWorld(config(max: 2, delay: "0"))
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })
        var names: [String] = []
        for _ in 0..<6 {
            let handout = try await Self.request(world, "default-dvm")
            names.append(handout.name)
        }
        #expect(Set(names).count == 6, "never the same disposable twice")
        let snapshot = try await world.snapshot
        for name in names {
            let domain = try #require(snapshot.domain(named: name))
            #expect(domain.power == .running && domain.metadata[MetadataKey.stage] == "used")
        }
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 }, "the queue refills")
        await world.stop()
    }

    @Test func aStartingPreloadIsAwaitedRatherThanMadeCold() async throws {
        let world = ControllerWorld(config(max: 1, delay: "0"), boot: 4)
        world.start()
        // The first preload is still booting: the request waits for it instead of booting another.
        #expect(try await world.settle(seconds: 1) { try await !world.snapshot.domains.isEmpty })
        let booting = try await world.snapshot.domains[0].name
        let handout = try await Self.request(world, "default-dvm")
        #expect(handout.name == booting)
        #expect(handout.preloaded)
        await world.stop()
    }

    @Test func aRestartInTheMiddleOfAHandOutNeverHandsItOutTwice() async throws {
        let yaml = config(max: 2, delay: "0")
        let first = ControllerWorld(yaml)
        first.start()
        #expect(try await first.settle { try await first.queue("default-dvm").count == 2 })
        // The daemon dies right after claiming the oldest preload (stage requested), before unpausing it.
        let oldest = try await first.queue("default-dvm")
        await first.controller.stop()
        let claimed = try #require(oldest.first)
        _ = try await first.host.updateMetadata(claimed, [MetadataKey.stage: Stage.requested.rawValue],
            ifMatching: [MetadataKey.stage: Stage.paused.rawValue])
        let second = ControllerWorld(yaml, seed: 5, sharing: first)
        second.start()
        await second.settle(seconds: 1) { await second.controller.desired != nil }
        let handout = try await Self.request(second, "default-dvm")
        #expect(handout.name != claimed, "the interrupted hand-out is not given out")
        let settled = try await second.settle {
            let snapshot = try await second.snapshot
            let queue = try await second.queue("default-dvm")
            return snapshot.domain(named: claimed) == nil && queue.count == 2
        }
        #expect(settled)
        await second.stop()
    }
}

/// Set once when a background request finished.
final class Done: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
