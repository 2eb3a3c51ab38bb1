import DispoTestKit
import DispoConfig
import DispoHost
import Testing

@testable import DispoSim

/// Free memory, boot growth and ballooning, computed from timestamps in virtual time.
struct SimMemoryTests {
    @Test func freeMemoryIsTotalLessDom0LessEveryDomain() async throws {
        let host = Fixture.host(SimState(totalMemory: .mebibytes(8192)))
        #expect(try await host.snapshot().freeMemory == .mebibytes(8192 - 1024))
        #expect(try await host.snapshot().totalMemory == .mebibytes(8192))
        _ = try await host.create(Fixture.request("a", memory: 400))
        try await host.admin.addForeign(name: "work", memory: .mebibytes(1000))
        #expect(try await host.snapshot().freeMemory == .mebibytes(8192 - 1024 - 400 - 1000))
    }

    @Test func haltedAndCrashedDomainsHoldTheirMemoryUntilDestroyed() async throws {
        let host = Fixture.host(SimState(totalMemory: .mebibytes(4096)))
        _ = try await host.create(Fixture.request("a", memory: 1000))
        _ = try await host.create(Fixture.request("b", memory: 1000))
        try await host.unpause("a")
        try await host.unpause("b")
        try await host.shutdown("a")
        try await host.admin.crash("b")
        #expect(try await host.snapshot().freeMemory == .mebibytes(4096 - 1024 - 2000))
        try await host.destroy("a")
        try await host.destroy("b")
        #expect(try await host.snapshot().freeMemory == .mebibytes(4096 - 1024))
    }

    @Test func creationNeedsTheSpecsMemoryFree() async throws {
        let host = Fixture.host(SimState(totalMemory: .mebibytes(2048)))
        _ = try await host.create(Fixture.request("a", memory: 600))
        let error = await #expect(throws: HostError.self) {
            try await host.create(Fixture.request("b", memory: 500))
        }
        #expect(error?.code == .insufficientMemory)
        #expect(error?.description == "b: needs 500MiB but the host has 424MiB free")
        _ = try await host.create(Fixture.request("c", memory: 424))
        #expect(try await host.snapshot().freeMemory == Size(kibibytes: 0))
    }

    @Test func aBootedGuestGrowsByTheBootGrowthUpToMaxmem() async throws {
        let clock = VirtualClock()
        let host = Fixture.host(SimState(bootSeconds: 2), clock: clock)
        try await host.started("a", memory: 400, maxmem: 4000)
        try await host.started("b", memory: 400, maxmem: 500)
        #expect(try await host.domain("a")?.memory == .mebibytes(400))
        clock.advance(by: 1.999)
        #expect(try await host.domain("a")?.memory == .mebibytes(400))
        clock.advance(by: 0.001)
        #expect(try await host.domain("a")?.memory == .mebibytes(600))
        #expect(try await host.domain("b")?.memory == .mebibytes(500))
    }

    @Test func ballooningFallsLinearlyAtTheBalloonSpeedAndStopsAtTheTarget() async throws {
        let clock = VirtualClock()
        var state = SimState(bootSeconds: 1)
        state.balloonMiBPerSecond = 100
        let host = Fixture.host(state, clock: clock)
        try await host.started("a", memory: 400)
        clock.advance(by: 1)
        #expect(try await host.domain("a")?.memory == .mebibytes(600))
        try await host.setMemoryTarget("a", .mebibytes(350))
        clock.advance(by: 0.5)
        #expect(try await host.domain("a")?.memory == .mebibytes(550))
        clock.advance(by: 2)
        #expect(try await host.domain("a")?.memory == .mebibytes(350))
        clock.advance(by: 100)
        #expect(try await host.domain("a")?.memory == .mebibytes(350))
        #expect(try await host.snapshot().freeMemory == .mebibytes(16384 - 1024 - 350))
    }

    @Test func aTargetAboveMaxmemIsRefused() async throws {
        let host = Fixture.host()
        try await host.started("a", memory: 400, maxmem: 800)
        let error = await #expect(throws: HostError.self) { try await host.setMemoryTarget("a", .mebibytes(801)) }
        #expect(error?.code == .invalidState)
    }

    @Test func aTargetToZeroNeverGoesBelowZero() async throws {
        let clock = VirtualClock()
        let host = Fixture.host(SimState(bootSeconds: 0), clock: clock)
        try await host.started("a", memory: 400)
        try await host.setMemoryTarget("a", Size(kibibytes: 0))
        clock.advance(by: 1_000)
        #expect(try await host.domain("a")?.memory == Size(kibibytes: 0))
    }

    @Test func pausingFreezesTheBalloonAndUnpausingResumesIt() async throws {
        let clock = VirtualClock()
        var state = SimState(bootSeconds: 0)
        state.balloonMiBPerSecond = 100
        let host = Fixture.host(state, clock: clock)
        try await host.started("a", memory: 400)
        try await host.setMemoryTarget("a", .mebibytes(300))
        clock.advance(by: 1)
        #expect(try await host.domain("a")?.memory == .mebibytes(500))
        try await host.pause("a")
        clock.advance(by: 10)
        #expect(try await host.domain("a")?.memory == .mebibytes(500))
        try await host.unpause("a")
        clock.advance(by: 1)
        #expect(try await host.domain("a")?.memory == .mebibytes(400))
    }

    @Test func aTargetAboveTheCurrentAmountGrowsAtTheBalloonSpeed() async throws {
        let clock = VirtualClock()
        var state = SimState(bootSeconds: 0)
        state.balloonMiBPerSecond = 100
        state.bootGrowthMiB = 0
        let host = Fixture.host(state, clock: clock)
        try await host.started("a", memory: 400)
        try await host.setMemoryTarget("a", .mebibytes(1000))
        clock.advance(by: 2)
        #expect(try await host.domain("a")?.memory == .mebibytes(600))
        clock.advance(by: 60)
        #expect(try await host.domain("a")?.memory == .mebibytes(1000))
    }
}
