import DispoTestKit
import DispoConfig
import DispoEngine
import DispoHost
import DispoSim
import Foundation
import Synchronization
import Testing

/// The executor against the simulated host in virtual time, with injected faults.
struct ExecutorTests {
    static let config = baseYAML + """
        ready: { xenstore: data/ready, timeout: 10s }
        ---
        apiVersion: dispo/v1
        kind: NamedDisposable
        name: sys-net
        template: default-dvm
        memory: 300MiB
        state: running

        """

    @Test func convergesFromAnEmptyHostAndThenIsInSync() async throws {
        let world = SimWorld()
        let desired = desiredState(Self.config)
        let outcome = try await world.reconciler().converge(desired)
        #expect(outcome.converged)
        let snapshot = try await world.snapshot()
        let preloads = snapshot.domains.filter { $0.metadata[MetadataKey.role] == "preload" }
        #expect(preloads.count == 3)
        #expect(preloads.allSatisfy { $0.power == .paused && $0.metadata[MetadataKey.stage] == "paused" })
        #expect(preloads.allSatisfy { $0.memory <= .mebibytes(440) }, "shrunk to within 1.1x of memory before pausing")
        #expect(snapshot.domain(named: "sys-net")?.power == .running)
        #expect(try await world.plan(desired).isInSync)
    }

    @Test(arguments: [SimOperation.create, .start, .pause, .ready])
    func aFaultLeavesNothingHalfMadeAndTheQueueConverges(operation: SimOperation) async throws {
        let world = SimWorld()
        let desired = desiredState(baseYAML)
        _ = try await world.admin.injectFault(operation: operation, count: 2)
        let outcome = try await world.reconciler(ReconcileOptions(maxAttempts: 5)).converge(desired)
        #expect(outcome.converged, "\(outcome.failures)")
        #expect(world.log.failures == 2)
        let snapshot = try await world.snapshot()
        #expect(halfMade(snapshot) == [])
        #expect(snapshot.domains.count == 3)
        #expect(try await world.plan(desired).isInSync)
    }

    @Test func crashWhileStartingIsRemovedAndReplaced() async throws {
        let world = SimWorld()
        let crashing = CrashOnReady(inner: world.host, admin: world.admin, crashes: 1)
        let reconciler = Reconciler(host: crashing, clock: world.clock, random: SeededRandomSource(seed: 3),
            options: ReconcileOptions(maxAttempts: 5), onEvent: { world.log.append($0) })
        let outcome = try await reconciler.converge(desiredState(baseYAML))
        #expect(outcome.converged)
        #expect(world.log.failures == 1)
        let snapshot = try await world.snapshot()
        #expect(snapshot.domains.count == 3)
        #expect(snapshot.domains.allSatisfy { $0.power == .paused })
    }

    @Test func givesUpAfterMaxAttemptsAndSaysWhy() async throws {
        let world = SimWorld()
        _ = try await world.admin.injectFault(operation: .create, count: 100)
        let outcome = try await world.reconciler(ReconcileOptions(maxAttempts: 3)).converge(desiredState(baseYAML))
        #expect(!outcome.converged)
        #expect(outcome.failures.keys.sorted() == [BackoffKey.preload("default-dvm")])
        #expect(world.log.createAttempts("default-dvm") == 3, "slow start: one domain per failing batch")
        #expect(try await world.snapshot().domains.isEmpty)
    }

    @Test func aTemplateThatNeverGetsReadyIsBackedOffNotRetriedInALoop() async throws {
        let world = SimWorld()
        let desired = desiredState(baseYAML + "ready: { xenstore: data/ready, timeout: 1s }\n")
        _ = try await world.admin.injectFault(operation: .ready, count: 10_000)
        let reconciler = world.reconciler(ReconcileOptions(backoffBase: 1, backoffCap: 60, maxAttempts: nil))
        let start = world.clock.now()
        while world.clock.now() < start + 600 {
            let (plan, ran) = try await reconciler.pass(desired)
            if ran == 0 {
                let wakes = plan.waits.compactMap { wait -> Double? in
                    if case .backoff(let until) = wait.kind { return until }
                    return nil
                }
                try await world.clock.sleep(until: wakes.min() ?? world.clock.now() + 1)
            }
        }
        let attempts = world.log.createAttempts("default-dvm")
        // Back-off 1, 2, 4, ... capped at 60 s, each attempt costing its 1 s timeout: about 15 in 10 minutes.
        #expect(attempts >= 10 && attempts <= 17, "\(attempts) attempts")
        #expect(halfMade(try await world.snapshot()) == [])
    }

    @Test func slowStartGrowsRefillBatches() async throws {
        let world = SimWorld()
        let desired = desiredState(baseYAML.replacingOccurrences(of: "max: 3", with: "max: 7"))
        let reconciler = world.reconciler(ReconcileOptions(parallel: 8))
        var batches: [Int] = []
        while true {
            let (_, ran) = try await reconciler.pass(desired)
            if ran == 0 { break }
            batches.append(ran)
        }
        #expect(batches == [1, 2, 4])
    }

    @Test func memoryLimitedGapIsNotAnError() async throws {
        let world = SimWorld(memory: .mebibytes(1024 + 2000))
        let desired = desiredState(baseYAML + "---\napiVersion: dispo/v1\nkind: System\npreload: { threshold: 1000MiB }\n")
        let outcome = try await world.reconciler().converge(desired)
        #expect(outcome.converged)
        #expect(try await world.snapshot().domains.count == 2)
        #expect(outcome.plan.waits.map(\.kind) == [.memory(count: 1)])
    }

    @Test func revisionBumpReplacesPreloads() async throws {
        let world = SimWorld()
        var desired = desiredState(baseYAML)
        _ = try await world.reconciler().converge(desired)
        let before = Set(try await world.snapshot().domains.map(\.name))
        desired.templates["debian-12"]?.revision = .fixed("2")
        _ = try await world.reconciler().converge(desired)
        let after = Set(try await world.snapshot().domains.map(\.name))
        #expect(after.count == 3)
        #expect(after.isDisjoint(with: before))
        let released = DispidAllocator.released(try await world.snapshot().metadata)
        #expect(Set(released.keys.map(DispidAllocator.name)) == before, "released dispids are remembered")
    }
}

/// A host that crashes a domain while dispo waits for it to become ready.
struct CrashOnReady: DispoHost.Host {
    let inner: SimHost
    let admin: SimAdmin
    let remaining: Counter

    init(inner: SimHost, admin: SimAdmin, crashes: Int) {
        self.inner = inner
        self.admin = admin
        self.remaining = Counter(crashes)
    }

    var backend: String { inner.backend }
    var location: String { inner.location }
    func snapshot() async throws(HostError) -> HostSnapshot { try await inner.snapshot() }
    func create(_ request: CreateRequest) async throws(HostError) -> Domain { try await inner.create(request) }
    func unpause(_ name: String) async throws(HostError) { try await inner.unpause(name) }
    func pause(_ name: String) async throws(HostError) { try await inner.pause(name) }
    func setMemoryTarget(_ name: String, _ target: Size) async throws(HostError) {
        try await inner.setMemoryTarget(name, target)
    }
    func shutdown(_ name: String) async throws(HostError) { try await inner.shutdown(name) }
    func destroy(_ name: String) async throws(HostError) { try await inner.destroy(name) }
    func updateMetadata(_ name: String, _ values: [String: String?]) async throws(HostError) {
        try await inner.updateMetadata(name, values)
    }
    func updateMetadata(_ name: String, _ values: [String: String?], ifMatching expected: [String: String])
        async throws(HostError) -> Bool
    {
        try await inner.updateMetadata(name, values, ifMatching: expected)
    }
    func updateHostMetadata(_ values: [String: String?]) async throws(HostError) {
        try await inner.updateHostMetadata(values)
    }
    func waitReady(_ name: String, readiness: Readiness?, timeout: Interval) async throws(HostError) {
        if remaining.take() { try await admin.crash(name) }
        try await inner.waitReady(name, readiness: readiness, timeout: timeout)
    }
    func fingerprint(files: [String]) async -> String { await inner.fingerprint(files: files) }
    func events() -> AsyncStream<HostEvent> { inner.events() }
}

final class Counter: Sendable {
    private let value: Mutex<Int>

    init(_ value: Int) {
        self.value = Mutex(value)
    }

    /// True (and one less) while the count is above zero.
    func take() -> Bool {
        value.withLock {
            guard $0 > 0 else { return false }
            $0 -= 1
            return true
        }
    }
}
