/// One hand-out of a paused preload, as the broker asks the host for it (``Host/handOut(_:)``).
public struct HandOutRequest: Sendable, Hashable {
    /// The domain to hand out.
    public var name: String
    /// Its domid and UUID when known (from a snapshot): when the record still names this UUID, a backend may use
    /// the domid without looking the domain up.
    public var domid: Int?
    public var uuid: String?
    /// The record must hold every pair, else nothing is written and the outcome is ``HandOutOutcome/notMatching``.
    public var expected: [String: String]
    /// Written into the record, atomically with the check, before the domain is touched (the claim).
    public var claim: [String: String?]
    /// Written into the record once the domain runs; a crash before leaves the claim's stage on a running domain,
    /// which the planner relabels used.
    public var used: [String: String?]
    /// Written into the host-wide metadata with the claim (a nil value removes the key).
    public var hostMetadata: [String: String?]

    public init(
        name: String, domid: Int? = nil, uuid: String? = nil, expected: [String: String], claim: [String: String?],
        used: [String: String?], hostMetadata: [String: String?] = [:]
    ) {
        self.name = name
        self.domid = domid
        self.uuid = uuid
        self.expected = expected
        self.claim = claim
        self.used = used
        self.hostMetadata = hostMetadata
    }
}

/// How a hand-out went.
public enum HandOutOutcome: Sendable, Hashable {
    /// Claimed, unpaused and marked used.
    case handedOut
    /// The record no longer matched (another request took it, or it changed): nothing was written.
    case notMatching
    /// Claimed, but the domain was not paused (unpaused by someone else, shut down, crashed); it was not touched
    /// and `used` was not written. The caller decides what becomes of it.
    case notPaused(PowerState)
}

extension Host {
    /// The hand-out composed of the single operations: a conditional metadata update (the claim), the host-wide
    /// write, `unpause`, then the `used` write. A backend with a faster path (one thread, no lookups) overrides it.
    public func handOut(_ request: HandOutRequest) async throws(HostError) -> HandOutOutcome {
        guard try await updateMetadata(request.name, request.claim, ifMatching: request.expected) else {
            return .notMatching
        }
        if !request.hostMetadata.isEmpty { try await updateHostMetadata(request.hostMetadata) }
        do {
            try await unpause(request.name)
        } catch where error.code == .invalidState {
            let power = try await domain(named: request.name)?.power ?? .halted
            if power != .paused { return .notPaused(power) }
            throw error
        }
        try await updateMetadata(request.name, request.used)
        return .handedOut
    }
}
