import DispoConfig
import DispoDaemon
import DispoEngine
import DispoHost
import DispoSim
import DispoTestKit
import PropertyBased
import Synchronization
import Testing

/// SIGKILL at any moment, then a restart: the new controller adopts what it finds and leaves exactly the
/// expected domains — no orphan, no duplicate, nothing half-made.
struct RestartRecoveryTests {
    @Test func killAtARandomPointAndRestart() async throws {
        await propertyCheck(count: 40, input: Gen.int(in: 1...60), Gen.uint64()) { killAfter, seed in
            do {
                try await Self.check(killAfter: killAfter, seed: seed)
            } catch {
                Issue.record("kill after \(killAfter), seed \(seed): \(error)")
            }
        }
    }

    static func check(killAfter: Int, seed: UInt64) async throws {
        let yaml = config(max: 3) + """
            ---
            apiVersion: dispo/v1
            kind: NamedDisposable
            name: sys-net
            template: default-dvm
            state: running

            """
        // First life: dies after `killAfter` host operations, in whatever stage that is.
        let mortal = Mortality(limit: killAfter)
        let first = ControllerWorld(yaml, host: { MortalHost(inner: $0, mortality: mortal) }, seed: seed)
        first.start()
        await first.settle(seconds: 60) { mortal.isDead }
        await first.controller.stop()
        // Second life, on the same host state.
        let second = ControllerWorld(yaml, seed: seed &+ 1, sharing: first)
        second.start()
        let converged = try await second.settle(seconds: 300) {
            let snapshot = try await second.snapshot
            return try await second.queue("default-dvm").count == 3 && halfMade(snapshot).isEmpty
                && snapshot.domain(named: "sys-net")?.power == .running
                && snapshot.domains.count == 4
        }
        let names = try await second.snapshot.domains.map(\.name)
        #expect(converged, "kill after \(killAfter): \(names)")
        #expect(Set(names).count == names.count, "no duplicates")
        await second.stop()
    }
}

/// Counts host operations; past the limit the "process" is dead: every operation fails, nothing cleans up.
final class Mortality: Sendable {
    private let state: Mutex<(count: Int, limit: Int)>

    init(limit: Int) {
        state = Mutex((0, limit))
    }

    var isDead: Bool { state.withLock { $0.count >= $0.limit } }

    /// Counts one operation; throws once dead.
    func step() throws(HostError) {
        let dead = state.withLock { state -> Bool in
            if state.count >= state.limit { return true }
            state.count += 1
            return false
        }
        if dead { throw HostError(.unavailable, "killed") }
    }
}

/// A host that stops working after a number of operations, as if dispo had been killed with SIGKILL.
struct MortalHost: DispoHost.Host {
    let inner: SimHost
    let mortality: Mortality

    var backend: String { inner.backend }
    var location: String { inner.location }
    func snapshot() async throws(HostError) -> HostSnapshot {
        try mortality.step()
        return try await inner.snapshot()
    }
    func create(_ request: CreateRequest) async throws(HostError) -> Domain {
        try mortality.step()
        return try await inner.create(request)
    }
    func unpause(_ name: String) async throws(HostError) {
        try mortality.step()
        try await inner.unpause(name)
    }
    func pause(_ name: String) async throws(HostError) {
        try mortality.step()
        try await inner.pause(name)
    }
    func setMemoryTarget(_ name: String, _ target: Size) async throws(HostError) {
        try mortality.step()
        try await inner.setMemoryTarget(name, target)
    }
    func shutdown(_ name: String) async throws(HostError) {
        try mortality.step()
        try await inner.shutdown(name)
    }
    func destroy(_ name: String) async throws(HostError) {
        try mortality.step()
        try await inner.destroy(name)
    }
    func updateMetadata(_ name: String, _ values: [String: String?]) async throws(HostError) {
        try mortality.step()
        try await inner.updateMetadata(name, values)
    }
    func updateMetadata(_ name: String, _ values: [String: String?], ifMatching expected: [String: String])
        async throws(HostError) -> Bool
    {
        try mortality.step()
        return try await inner.updateMetadata(name, values, ifMatching: expected)
    }
    func updateHostMetadata(_ values: [String: String?]) async throws(HostError) {
        try mortality.step()
        try await inner.updateHostMetadata(values)
    }
    func waitReady(_ name: String, readiness: Readiness?, timeout: Interval) async throws(HostError) {
        try mortality.step()
        try await inner.waitReady(name, readiness: readiness, timeout: timeout)
        try mortality.step()
    }
    func fingerprint(files: [String]) async -> String { await inner.fingerprint(files: files) }
    func events() -> AsyncStream<HostEvent> { inner.events() }
}
