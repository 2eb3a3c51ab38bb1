public import DispoConfig
public import DispoHost
import Synchronization

/// A host that counts snapshots and conditional metadata updates (claims) and records hand-outs, forwarding
/// everything to `base`.
public final class CountingHost: Host {
    public let base: any Host
    private let counts = Mutex((snapshots: 0, handOuts: [HandOutRequest](), claims: 0, domainReads: 0))

    public init(_ base: any Host) { self.base = base }

    public var snapshots: Int { counts.withLock { $0.snapshots } }
    /// Narrow reads (``Host/domain(named:)``).
    public var domainReads: Int { counts.withLock { $0.domainReads } }
    public var handOuts: Int { counts.withLock { $0.handOuts.count } }
    /// The hand-outs asked for, in order.
    public var handOutRequests: [HandOutRequest] { counts.withLock { $0.handOuts } }
    /// Conditional metadata updates (`updateMetadata(_:_:ifMatching:)`, also those of the default hand-out).
    public var claims: Int { counts.withLock { $0.claims } }

    public var backend: String { base.backend }
    public var location: String { base.location }
    public func snapshot() async throws(HostError) -> HostSnapshot {
        counts.withLock { $0.snapshots += 1 }
        return try await base.snapshot()
    }
    public func domain(named name: String) async throws(HostError) -> Domain? {
        counts.withLock { $0.domainReads += 1 }
        return try await base.domain(named: name)
    }
    public func handOut(_ request: HandOutRequest) async throws(HostError) -> HandOutOutcome {
        counts.withLock { $0.handOuts.append(request) }
        return try await base.handOut(request)
    }
    public func create(_ request: CreateRequest) async throws(HostError) -> Domain { try await base.create(request) }
    public func unpause(_ name: String) async throws(HostError) { try await base.unpause(name) }
    public func pause(_ name: String) async throws(HostError) { try await base.pause(name) }
    public func setMemoryTarget(_ name: String, _ target: Size) async throws(HostError) {
        try await base.setMemoryTarget(name, target)
    }
    public func shutdown(_ name: String) async throws(HostError) { try await base.shutdown(name) }
    public func destroy(_ name: String) async throws(HostError) { try await base.destroy(name) }
    public func updateMetadata(_ name: String, _ values: [String: String?]) async throws(HostError) {
        try await base.updateMetadata(name, values)
    }
    public func updateMetadata(_ name: String, _ values: [String: String?], ifMatching expected: [String: String])
        async throws(HostError) -> Bool
    {
        counts.withLock { $0.claims += 1 }
        return try await base.updateMetadata(name, values, ifMatching: expected)
    }
    public func updateHostMetadata(_ values: [String: String?]) async throws(HostError) {
        try await base.updateHostMetadata(values)
    }
    public func waitReady(_ name: String, readiness: Readiness?, timeout: Interval) async throws(HostError) {
        try await base.waitReady(name, readiness: readiness, timeout: timeout)
    }
    public func fingerprint(files: [String]) async -> String { await base.fingerprint(files: files) }
    public func events() -> AsyncStream<HostEvent> { base.events() }
}
