import DispoConfig
import DispoHost
import Synchronization

/// A host whose snapshots can be held: while the gate is shut, ``snapshot()`` waits (a host call that hangs, as a
/// wedged libxl would), everything else goes through to `base`.
final class GatedHost: Host {
    let base: any Host
    private let gate = Mutex((open: true, through: 0, waiting: [CheckedContinuation<Void, Never>]()))

    init(_ base: any Host) { self.base = base }

    /// Snapshots from now on (after `through` more) wait until ``open()``.
    func shut(lettingThrough through: Int = 0) {
        gate.withLock { gate in
            gate.open = false
            gate.through = through
        }
    }

    /// Lets the waiting snapshots (and later ones) through.
    func open() {
        let waiting = gate.withLock { gate in
            gate.open = true
            defer { gate.waiting = [] }
            return gate.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    /// How many snapshots wait at the gate.
    var held: Int { gate.withLock { $0.waiting.count } }

    var backend: String { base.backend }
    var location: String { base.location }
    func snapshot() async throws(HostError) -> HostSnapshot {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let through = gate.withLock { gate in
                if gate.open { return true }
                if gate.through > 0 {
                    gate.through -= 1
                    return true
                }
                gate.waiting.append(continuation)
                return false
            }
            if through { continuation.resume() }
        }
        return try await base.snapshot()
    }
    func domain(named name: String) async throws(HostError) -> Domain? { try await base.domain(named: name) }
    func handOut(_ request: HandOutRequest) async throws(HostError) -> HandOutOutcome {
        try await base.handOut(request)
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
    func updateMetadata(
        _ name: String, _ values: [String: String?], ifMatching expected: [String: String]
    )
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
