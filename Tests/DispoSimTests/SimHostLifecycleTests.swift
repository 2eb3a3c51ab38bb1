import DispoTestKit
import DispoConfig
import DispoHost
import Testing

@testable import DispoSim

/// Create, start, pause, shut down, destroy, metadata: what the engine does to its own domains.
struct SimHostLifecycleTests {
    @Test func createMakesAPausedNeverStartedDomainWithItsMetadata() async throws {
        let store = MemorySimStore()
        let host = SimHost(store: store, clock: VirtualClock())
        let domain = try await host.create(Fixture.request("disp1"))
        #expect(domain.power == .paused)
        #expect(domain.domid == 1)
        #expect(domain.memory == .mebibytes(400))
        #expect(domain.maxmem == .mebibytes(4000))
        #expect(domain.isOwned)
        #expect(domain.metadata[MetadataKey.role] == "preload")
        let stored = try #require(try await store.read().domains.first)
        #expect(!stored.hasStarted)
        #expect(stored.startedAt == nil)
        #expect(stored.vcpus == 2)
        #expect(stored.netvm == "sys-firewall")
        #expect(stored.disks == ["xvda ro /var/lib/dispo/debian-12/root.img", "volatile 2GiB"])
        #expect(try await host.snapshot().domains == [domain])
    }

    @Test func domidsIncreaseFromOneAndAreNeverReused() async throws {
        let host = Fixture.host()
        #expect(try await host.create(Fixture.request("a")).domid == 1)
        #expect(try await host.create(Fixture.request("b")).domid == 2)
        try await host.destroy("b")
        #expect(try await host.create(Fixture.request("b")).domid == 3)
    }

    @Test func aUsedNameIsRefused() async throws {
        let host = Fixture.host()
        _ = try await host.create(Fixture.request("a"))
        let error = await #expect(throws: HostError.self) { try await host.create(Fixture.request("a")) }
        #expect(error?.code == .alreadyExists)
        #expect(error?.domain == "a")
    }

    @Test func startBootsAndIsReadyExactlyAfterTheBootSeconds() async throws {
        let clock = VirtualClock()
        let host = Fixture.host(SimState(bootSeconds: 2), clock: clock)
        _ = try await host.create(Fixture.request("a"))
        let startedAt = clock.now()
        try await host.unpause("a")
        #expect(try await host.domain("a")?.power == .running)
        try await host.waitReady("a", readiness: Readiness(xenstore: "data/ready"), timeout: .seconds(60))
        #expect(clock.now() - startedAt == 2)
        // Already ready: no more waiting.
        try await host.waitReady("a", readiness: nil, timeout: .seconds(1))
        #expect(clock.now() - startedAt == 2)
    }

    @Test func pauseAndUnpauseMoveBetweenRunningAndPaused() async throws {
        let host = Fixture.host()
        try await host.started("a")
        try await host.pause("a")
        #expect(try await host.domain("a")?.power == .paused)
        try await host.unpause("a")
        #expect(try await host.domain("a")?.power == .running)
    }

    @Test func operationsInTheWrongPowerStateAreRefused() async throws {
        let host = Fixture.host()
        _ = try await host.create(Fixture.request("a"))
        await #expect(throws: HostError.self) { try await host.pause("a") }
        let paused = await #expect(throws: HostError.self) { try await host.shutdown("a") }
        #expect(paused?.code == .invalidState, "a paused guest cannot answer a shutdown request")
        try await host.unpause("a")
        let again = await #expect(throws: HostError.self) { try await host.unpause("a") }
        #expect(again?.code == .invalidState)
        try await host.shutdown("a")
        #expect(try await host.domain("a")?.power == .halted)
        try await host.shutdown("a")  // halted stays halted: a no-op
        let halted = await #expect(throws: HostError.self) { try await host.unpause("a") }
        #expect(halted?.code == .invalidState)
        let target = await #expect(throws: HostError.self) { try await host.setMemoryTarget("a", .mebibytes(300)) }
        #expect(target?.code == .invalidState)
    }

    @Test func costsTakeVirtualTime() async throws {
        let clock = VirtualClock()
        var state = SimState(bootSeconds: 6)
        state.costs = SimCosts(create: 0.5, start: 0.25, pause: 0.008, unpause: 0.008, destroy: 0.125)
        let host = Fixture.host(state, clock: clock)
        let start = clock.now()
        _ = try await host.create(Fixture.request("a"))
        try await host.unpause("a")
        try await host.pause("a")
        try await host.unpause("a")
        try await host.destroy("a")
        #expect(abs(clock.now() - start - (0.5 + 0.25 + 0.008 + 0.008 + 0.125)) < 1e-6)
    }

    @Test func metadataMergesAndANilValueRemovesAKey() async throws {
        let host = Fixture.host()
        _ = try await host.create(Fixture.request("a"))
        try await host.updateMetadata("a", [MetadataKey.stage: "paused", MetadataKey.role: nil, "dispid": "12"])
        let metadata = try #require(try await host.domain("a")?.metadata)
        #expect(metadata[MetadataKey.stage] == "paused")
        #expect(metadata[MetadataKey.role] == nil)
        #expect(metadata["dispid"] == "12")
        #expect(metadata[MetadataKey.owner] == "dispo")

        try await host.updateHostMetadata(["released.12": "1800000000", "observed-config": "abc"])
        try await host.updateHostMetadata(["observed-config": nil])
        #expect(try await host.snapshot().metadata == ["released.12": "1800000000"])
    }

    @Test func destroyRemovesTheDomain() async throws {
        let host = Fixture.host()
        try await host.started("a")
        try await host.destroy("a")
        #expect(try await host.snapshot().domains.isEmpty)
        let error = await #expect(throws: HostError.self) { try await host.destroy("a") }
        #expect(error?.code == .notFound)
    }

    @Test func backendAndLocationNameTheSim() {
        let host = SimHost(path: "/tmp/dispo-host.json")
        #expect(host.backend == "sim")
        #expect(host.location == "sim:/tmp/dispo-host.json")
    }

    @Test func fingerprintIsEmpty() async {
        #expect(await Fixture.host().fingerprint(files: ["/etc/hostname"]) == "")
    }
}
