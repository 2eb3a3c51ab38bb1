import DispoTestKit
import DispoConfig
import DispoDaemon
import DispoEngine
import DispoHost
import DispoSim
import Foundation
import Testing

/// The controller against the simulated host in virtual time: config changes, bad edits, delays, unpauses.
struct ControllerTests {
    @Test func fillsTheQueueAndRecordsHistory() async throws {
        let world = ControllerWorld(config())
        world.clock.stepWall(by: 86_400 * 365)  // the history's date is the wall clock's, not the monotonic one
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })
        let settled = await world.settle(seconds: 10) { await world.controller.history.count == 1 }
        #expect(settled)
        let at = try #require(await world.controller.history.first?.at)
        #expect(at.hasPrefix("2028-01"), "\(at): a year after the monotonic clock's 2027-01-15")
        let status = try await world.controller.status()
        #expect(status.templates.first?.preload.ready == 2)
        #expect(status.config.observed == status.config.revision, "the reconciled config is recorded")
        await world.stop()
    }

    @Test func followsConfigEdits() async throws {
        let world = ControllerWorld(config())
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })
        world.edit(config(max: 4))
        #expect(try await world.settle { try await world.queue("default-dvm").count == 4 })
        world.edit(config(max: 1))
        #expect(try await world.settle { try await world.snapshot.domains.count == 1 })
        await world.stop()
    }

    @Test func aBadEditKeepsTheLastGoodConfig() async throws {
        let world = ControllerWorld(config())
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })
        world.edit(config().replacingOccurrences(of: "template: debian-12", with: "template: debian-13"))
        await world.pass(60)
        #expect(try await world.queue("default-dvm").count == 2)
        let errors = await world.controller.configErrors
        #expect(errors.map(\.description) == [
            "dispo.yaml:10:11: error: template: no Template named \"debian-13\"; did you mean \"debian-12\"?"
        ])
        let status = try await world.controller.status()
        #expect(status.config.ok == false)
        #expect(status.templates.first?.preload.max == 2, "status shows the config in force")
        await world.stop()
    }

    @Test func anEmptiedConfigRemovesNothing() async throws {
        let world = ControllerWorld(config())
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })
        world.edit("")
        await world.pass(60)
        #expect(try await world.queue("default-dvm").count == 2)
        let plan = await world.controller.lastPlan
        #expect(plan?.waits.map(\.kind) == [.emptyConfig])
        await world.stop()
    }

    @Test func anInvalidFirstConfigDoesNothingUntilFixed() async throws {
        let world = ControllerWorld("kind: Nonsense\n")
        world.start()
        await world.pass(10)
        #expect(try await world.snapshot.domains.isEmpty)
        world.edit(config())
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })
        await world.stop()
    }

    @Test func aPreloadThatNeverGetsReadyIsBackedOff() async throws {
        let yaml = config(max: 1).replacingOccurrences(of: "timeout: 10s", with: "timeout: 1s")
        let world = ControllerWorld(yaml)
        _ = try await world.admin.injectFault(operation: .ready, count: 100)
        world.start()
        await world.pass(600)
        let status = try await world.controller.status()
        let failures = status.history.reduce(0) { $0 + $1.errors }
        let pending = try await world.admin.list().faults[.ready] ?? 0
        let attempts = 100 - pending
        // Back-off 1, 2, 4, ... 256 s (each attempt costing its 1 s timeout): 10 attempts in 10 minutes.
        #expect(attempts >= 8 && attempts <= 12, "\(attempts) attempts")
        #expect(failures <= attempts)
        #expect(halfMade(try await world.snapshot) == [])
        await world.stop()
    }

    @Test func anUnpauseBehindDisposBackIsAUseRefilledAfterTheDelay() async throws {
        let world = ControllerWorld(config(delay: "3s"))
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })
        let used = try await world.queue("default-dvm")[0]
        try await world.admin.unpauseBehindDispo(used)
        world.controller.trigger(.host)
        #expect(try await world.settle(seconds: 1) {
            try await world.snapshot.domain(named: used)?.metadata[MetadataKey.role] == Role.unnamed.rawValue
        })
        let usedAt = world.clock.now()
        await world.pass(2)
        #expect(try await world.queue("default-dvm").count == 1, "no refill before the delay")
        #expect(try await world.settle(seconds: 10) { try await world.queue("default-dvm").count == 2 })
        let refilledAfter = world.clock.now() - usedAt
        #expect(refilledAfter >= 3, "\(refilledAfter)")
        #expect(try await world.snapshot.domain(named: used)?.power == .running, "the used one is left running")
        await world.stop()
    }

    @Test func negativeDelayRefillsOnlyOnceTheQueueIsEmpty() async throws {
        let world = ControllerWorld(config(max: 2, delay: "-1s"))
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })
        let first = try await world.queue("default-dvm")
        try await world.admin.unpauseBehindDispo(first[0])
        world.controller.trigger(.host)
        await world.pass(20)
        #expect(try await world.queue("default-dvm").count == 1, "one left: no refill yet")
        try await world.admin.unpauseBehindDispo(first[1])
        world.controller.trigger(.host)
        #expect(try await world.settle(seconds: 30) { try await world.queue("default-dvm").count == 2 })
        await world.stop()
    }

    @Test func zeroDelayRefillsAtOnce() async throws {
        let world = ControllerWorld(config(max: 1, delay: "0"))
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 1 })
        try await world.admin.unpauseBehindDispo(try await world.queue("default-dvm")[0])
        world.controller.trigger(.host)
        let start = world.clock.now()
        #expect(try await world.settle(seconds: 10) { try await world.queue("default-dvm").count == 1 })
        #expect(world.clock.now() - start < 3, "refilled after boot time only")
        await world.stop()
    }

    @Test func stoppedDisposablesAreCleanedUp() async throws {
        let world = ControllerWorld(config(max: 1))
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 1 })
        let name = try await world.queue("default-dvm")[0]
        try await world.admin.crash(name)
        world.controller.trigger(.host)
        let cleaned = try await world.settle {
            let snapshot = try await world.snapshot
            let queue = try await world.queue("default-dvm")
            return snapshot.domain(named: name) == nil && queue.count == 1
        }
        #expect(cleaned)
        await world.stop()
    }

    @Test func gracefulStopLetsJobsFinish() async throws {
        let world = ControllerWorld(config(max: 2), boot: 5)
        world.start()
        #expect(try await world.settle(seconds: 2) { try await !world.snapshot.domains.isEmpty })
        await world.stop()
        #expect(halfMade(try await world.snapshot) == [])
    }
}
