import DispoConfig
import DispoEngine
import DispoHost
import DispoSim
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
        let broker = Broker(host: counting, clock: world.clock, random: SeededRandomSource(seed: 3), reconciler: reconciler)
        let handout = try await broker.request(.defaultDispVM, source: nil, desired: desired)
        #expect(handout.preloaded && handout.name == queue.first)
        #expect(counting.snapshots == 0, "no snapshot on the hand-out path")
        #expect(counting.handOuts == 1)
        let domain = try #require(try await world.snapshot().domain(named: handout.name))
        #expect(domain.power == .running && domain.metadata[MetadataKey.stage] == "used")
    }

    @Test func aPreloadGoneSinceTheViewIsSkipped() async throws {
        let (world, reconciler, desired) = try await Self.filled()
        let queue = try await BrokerTests.queue(world)
        try await world.host.destroy(queue[0])
        let broker = Broker(host: world.host, clock: world.clock, random: SeededRandomSource(seed: 3), reconciler: reconciler)
        let handout = try await broker.request(.defaultDispVM, source: nil, desired: desired)
        #expect(handout.preloaded && handout.name == queue[1])
    }

    @Test func aPreloadUnpausedSinceTheViewIsMarkedUsedNotDestroyed() async throws {
        let (world, reconciler, desired) = try await Self.filled()
        let queue = try await BrokerTests.queue(world)
        try await world.admin.unpauseBehindDispo(queue[0])
        let broker = Broker(host: world.host, clock: world.clock, random: SeededRandomSource(seed: 3), reconciler: reconciler)
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
        let broker = Broker(host: world.host, clock: world.clock, random: SeededRandomSource(seed: 3), reconciler: reconciler)
        let handout = try await broker.request(.defaultDispVM, source: nil, desired: desired)
        #expect(handout.preloaded && handout.name == queue.first)
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

/// A host that counts snapshots and hand-outs, forwarding everything to `base`.
final class CountingHost: Host {
    let base: any Host
    private let counts = Mutex((snapshots: 0, handOuts: 0))

    init(_ base: any Host) { self.base = base }

    var snapshots: Int { counts.withLock { $0.snapshots } }
    var handOuts: Int { counts.withLock { $0.handOuts } }

    var backend: String { base.backend }
    var location: String { base.location }
    func snapshot() async throws(HostError) -> HostSnapshot {
        counts.withLock { $0.snapshots += 1 }
        return try await base.snapshot()
    }
    func handOut(_ request: HandOutRequest) async throws(HostError) -> HandOutOutcome {
        counts.withLock { $0.handOuts += 1 }
        return try await base.handOut(request)
    }
    func create(_ request: CreateRequest) async throws(HostError) -> Domain { try await base.create(request) }
    func unpause(_ name: String) async throws(HostError) { try await base.unpause(name) }
    func pause(_ name: String) async throws(HostError) { try await base.pause(name) }
    func setMemoryTarget(_ name: String, _ target: Size) async throws(HostError) {
        try await base.setMemoryTarget(name, target)
    }
    func shutdown(_ name: String) async throws(HostError) { try await base.shutdown(name) }
    func destroy(_ name: String) async throws(HostError) { try await base.destroy(name) }
    func updateMetadata(_ name: String, _ values: [String: String?]) async throws(HostError) {
        try await base.updateMetadata(name, values)
    }
    func updateMetadata(_ name: String, _ values: [String: String?], ifMatching expected: [String: String])
        async throws(HostError) -> Bool
    {
        try await base.updateMetadata(name, values, ifMatching: expected)
    }
    func updateHostMetadata(_ values: [String: String?]) async throws(HostError) {
        try await base.updateHostMetadata(values)
    }
    func waitReady(_ name: String, readiness: Readiness?, timeout: Interval) async throws(HostError) {
        try await base.waitReady(name, readiness: readiness, timeout: timeout)
    }
    func fingerprint(files: [String]) async -> String { await base.fingerprint(files: files) }
    func events() -> AsyncStream<HostEvent> { base.events() }
}
