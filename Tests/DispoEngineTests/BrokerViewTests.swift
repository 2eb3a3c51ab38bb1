import DispoConfig
import DispoEngine
import DispoHost
import DispoSim
import DispoTestKit
import Synchronization
import Testing

/// The broker in the daemon: candidates come from the newest pass's view of the host, and the claim (not a
/// snapshot) is what checks them; a view gone stale never hands out a wrong domain nor destroys a used one.
struct BrokerViewTests {
    /// A world with a full queue of 4, converged by `reconciler` (which keeps the view of its last pass).
    static func filled() async throws -> (SimWorld, Reconciler, DesiredState) {
        let world = SimWorld()
        let reconciler = world.reconciler()
        let desired = desiredState(BrokerTests.config)
        _ = try await reconciler.converge(desired)
        return (world, reconciler, desired)
    }

    @Test func aHandOutReadsTheHostOnlyThroughTheClaim() async throws {
        let (world, reconciler, desired) = try await Self.filled()
        let queue = try await BrokerTests.queue(world)
        let counting = CountingHost(world.host)
        let broker = Broker(host: counting, clock: world.clock, random: SeededRandomSource(seed: 3), coordinator: reconciler.coordinator, strategy: .leaseOwner)
        let handout = try await broker.request(.defaultDispVM, source: nil, desired: desired)
        #expect(handout.preloaded && handout.name == queue.first)
        #expect(counting.snapshots == 0, "no snapshot on the hand-out path")
        #expect(counting.handOuts == 1)
        await reconciler.coordinator.settle()
        let domain = try #require(try await world.snapshot().domain(named: handout.name))
        #expect(domain.power == .running && domain.metadata[MetadataKey.stage] == "used")
    }

    @Test func aPreloadGoneSinceTheViewIsSkipped() async throws {
        let (world, reconciler, desired) = try await Self.filled()
        let queue = try await BrokerTests.queue(world)
        try await world.host.destroy(queue[0])
        let broker = Broker(host: world.host, clock: world.clock, random: SeededRandomSource(seed: 3), coordinator: reconciler.coordinator, strategy: .leaseOwner)
        let handout = try await broker.request(.defaultDispVM, source: nil, desired: desired)
        #expect(handout.preloaded && handout.name == queue[1])
    }

    @Test func aPreloadUnpausedSinceTheViewIsMarkedUsedNotDestroyed() async throws {
        let (world, reconciler, desired) = try await Self.filled()
        let queue = try await BrokerTests.queue(world)
        try await world.admin.unpauseBehindDispo(queue[0])
        let broker = Broker(host: world.host, clock: world.clock, random: SeededRandomSource(seed: 3), coordinator: reconciler.coordinator, strategy: .leaseOwner)
        let handout = try await broker.request(.defaultDispVM, source: nil, desired: desired)
        #expect(handout.preloaded && handout.name == queue[1])
        let taken = try #require(try await world.snapshot().domain(named: queue[0]), "still there: someone uses it")
        #expect(taken.power == .running)
        #expect(taken.metadata[MetadataKey.role] == "unnamed" && taken.metadata[MetadataKey.stage] == "used")
    }

    @Test func anEmptyViewFallsBackToTheHost() async throws {
        let world = SimWorld()
        let reconciler = world.reconciler()
        let desired = desiredState(BrokerTests.config)
        _ = try await reconciler.plan(desired)  // no pass yet: no view
        _ = try await world.reconciler().converge(desired)  // another controller filled the queue
        let queue = try await BrokerTests.queue(world)
        let broker = Broker(host: world.host, clock: world.clock, random: SeededRandomSource(seed: 3), coordinator: reconciler.coordinator, strategy: .leaseOwner)
        let handout = try await broker.request(.defaultDispVM, source: nil, desired: desired)
        #expect(handout.preloaded && handout.name == queue.first)
    }

    @Test func aViewTakenBeforeAHandOutDoesNotOfferItAgain() async throws {
        let (world, reconciler, desired) = try await Self.filled()
        let counting = CountingHost(world.host)
        let broker = Broker(host: counting, clock: world.clock, random: SeededRandomSource(seed: 3),
            coordinator: reconciler.coordinator, strategy: .leaseOwner)
        let first = try await broker.request(.defaultDispVM, source: nil, desired: desired)
        await reconciler.coordinator.settle()
        #expect(reconciler.coordinator.busy.isEmpty, "the used record was written and the name let go")
        let second = try await broker.request(.defaultDispVM, source: nil, desired: desired)
        #expect(first.name != second.name)
        #expect(counting.handOuts == 2, "the first one is not tried again from the view of before its hand-out")
        #expect(counting.handOutRequests.allSatisfy { $0.claim.isEmpty }, "the owner of the queues does not claim")
    }

    @Test func theDefaultHandOutRefusesARecordThatNoLongerMatches() async throws {
        let (world, _, _) = try await Self.filled()
        let name = try #require(try await BrokerTests.queue(world).first)
        let claim = HandOutRequest(name: name, expected: [MetadataKey.stage: "paused"],
            claim: [MetadataKey.stage: "requested"], used: [MetadataKey.stage: "used"])
        #expect(try await world.host.handOut(claim) == .handedOut)
        #expect(try await world.host.handOut(claim) == .notMatching, "a second claim of the same preload")
        #expect(try await world.snapshot().domain(named: name)?.metadata[MetadataKey.stage] == "used")
    }
}
