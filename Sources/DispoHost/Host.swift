public import DispoConfig

/// The one seam between the engine and a hypervisor.
///
/// Every operation that changes a domain refuses domains without `owner=dispo` (``HostError/Code/notOwned``).
/// Creation returns a paused domain that has never run; the first ``unpause(_:)`` boots it.
public protocol Host: Sendable {
    /// `sim` or `xen`.
    var backend: String { get }
    /// How the user names this host, e.g. `sim:/var/lib/dispo/host.json`.
    var location: String { get }

    func snapshot() async throws(HostError) -> HostSnapshot
    /// One domain by name, as ``snapshot()`` would show it (power, memory, dispo's record), or nil when there is
    /// none: the narrow read of the hot paths (waiting for one domain, stop, destroy, shrink). A record without a
    /// domain (a crash mid-create) shows as halted, as in a snapshot. A default built on ``snapshot()`` exists;
    /// backends override it with a read of that one domain.
    func domain(named name: String) async throws(HostError) -> Domain?
    /// Writes `request.metadata` first, then creates the domain paused.
    func create(_ request: CreateRequest) async throws(HostError) -> Domain
    func unpause(_ name: String) async throws(HostError)
    func pause(_ name: String) async throws(HostError)
    func setMemoryTarget(_ name: String, _ target: Size) async throws(HostError)
    /// Asks the guest to power off (it becomes ``PowerState/halted``).
    func shutdown(_ name: String) async throws(HostError)
    /// Destroys the domain and removes every file it owned (snapshot and volatile disks).
    func destroy(_ name: String) async throws(HostError)
    /// Merges `values` into the domain's metadata (a nil value removes the key).
    func updateMetadata(_ name: String, _ values: [String: String?]) async throws(HostError)
    /// Merges `values` only if the metadata holds every pair of `expected`, atomically; returns whether it did.
    /// This is how a preload is claimed, so that no two requests (even in two processes) take the same one.
    func updateMetadata(_ name: String, _ values: [String: String?], ifMatching expected: [String: String])
        async throws(HostError) -> Bool
    /// Claims the paused preload of `request` (atomically, as the conditional update does), unpauses it and marks it
    /// used: the hand-out, on the backend's fastest path. A default built from the other operations exists.
    func handOut(_ request: HandOutRequest) async throws(HostError) -> HandOutOutcome
    /// Merges `values` into the host-wide metadata (a nil value removes the key).
    func updateHostMetadata(_ values: [String: String?]) async throws(HostError)
    /// Returns once the guest is ready (running, and the readiness key written when `readiness` is set);
    /// throws ``HostError/Code/timeout`` after `timeout`.
    func waitReady(_ name: String, readiness: Readiness?, timeout: Interval) async throws(HostError)
    /// A fingerprint of files (for `revision: auto`); changes when any of them changes.
    func fingerprint(files: [String]) async -> String
    /// Domain events (shutdown, crash, unpause) as they happen.
    func events() -> AsyncStream<HostEvent>
}

extension Host {
    public func domain(named name: String) async throws(HostError) -> Domain? {
        try await snapshot().domain(named: name)
    }
}

/// A failed host operation, with the domain and what to do.
public struct HostError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public static let notFound = Code(name: "not-found")
        public static let notOwned = Code(name: "not-owned")
        public static let alreadyExists = Code(name: "already-exists")
        public static let insufficientMemory = Code(name: "insufficient-memory")
        public static let timeout = Code(name: "timeout")
        public static let operationFailed = Code(name: "operation-failed")
        public static let unavailable = Code(name: "unavailable")
        public static let invalidState = Code(name: "invalid-state")
        public var description: String { name }
    }

    public var code: Code
    public var domain: String?
    public var message: String

    public init(_ code: Code, domain: String? = nil, _ message: String) {
        self.code = code
        self.domain = domain
        self.message = message
    }

    public var description: String {
        if let domain { return "\(domain): \(message)" }
        return message
    }
}
