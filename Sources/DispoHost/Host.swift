public import DispoConfig

/// The one seam between the engine and a hypervisor.
///
/// The contract every backend keeps (`HostConformance` in the test kit checks it against the simulated host in
/// `swift test` and against Xen in `make e2e`):
/// - Names the operations below. A name with no domain is ``HostError/Code/notFound``; every operation that changes
///   a domain (all but the reads ``snapshot()``, ``domain(named:)`` and ``waitReady(_:readiness:timeout:)``) first
///   refuses a domain without `owner=dispo` in its record with ``HostError/Code/notOwned`` (the ownership check
///   comes before any power-state check, and nothing is changed). On Xen a record whose UUID is not the live
///   domain's does not make that domain dispo's.
/// - A power change in the wrong state is ``HostError/Code/invalidState`` and changes nothing: only ``shutdown(_:)``
///   of a halted domain is a no-op. ``destroy(_:)`` of a missing domain is ``HostError/Code/notFound`` (callers that
///   only want it gone treat that as done).
/// - A record without a domain (a crash mid-create or mid-destroy; Xen only) shows as a halted domain with domid -1
///   and no memory; only ``destroy(_:)``, ``shutdown(_:)`` (no-op) and the metadata operations apply to it.
/// - Other failures of the hypervisor are ``HostError/Code/operationFailed``; a host that cannot be reached at all is
///   ``HostError/Code/unavailable``.
public protocol Host: Sendable {
    /// `sim` or `xen`.
    var backend: String { get }
    /// How the user names this host, e.g. `sim:/var/lib/dispo/host.json`.
    var location: String { get }

    /// Every domain but dom0 (with dispo's records; none for domains dispo did not make), free and total memory,
    /// and the host-wide metadata, read at one moment.
    func snapshot() async throws(HostError) -> HostSnapshot
    /// One domain by name, as ``snapshot()`` would show it (power, memory, dispo's record), or nil when there is
    /// none: the narrow read of the hot paths (waiting for one domain, stop, destroy, shrink). A record without a
    /// domain (a crash mid-create) shows as halted, as in a snapshot. A default built on ``snapshot()`` exists;
    /// backends override it with a read of that one domain.
    func domain(named name: String) async throws(HostError) -> Domain?
    /// Writes `request.metadata` first, then creates the domain paused, never run; returns it as
    /// ``domain(named:)`` would show it then (power ``PowerState/paused``, the request's metadata).
    ///
    /// ``HostError/Code/alreadyExists`` when a domain (dispo's or not) or a record of that name exists;
    /// ``HostError/Code/insufficientMemory`` when the host lacks the memory the spec needs. A failure leaves no
    /// domain, record or file behind.
    func create(_ request: CreateRequest) async throws(HostError) -> Domain
    /// Paused -> running; the first unpause of a created domain boots it. Not idempotent: a running, halted or
    /// crashed domain is ``HostError/Code/invalidState`` (a hand-out relies on it to notice a preload someone else
    /// unpaused).
    func unpause(_ name: String) async throws(HostError)
    /// Running -> paused. A paused, halted or crashed domain is ``HostError/Code/invalidState``.
    func pause(_ name: String) async throws(HostError)
    /// Sets the balloon target of a running or paused domain; a running guest then moves toward it.
    /// ``HostError/Code/invalidState`` above the domain's maxmem, or for a halted or crashed domain.
    func setMemoryTarget(_ name: String, _ target: Size) async throws(HostError)
    /// Asks a running guest to power off; it becomes ``PowerState/halted`` when it has (at once on the sim, when
    /// the guest complies on Xen: wait for it with ``domain(named:)`` or ``events()``, then ``destroy(_:)``). A
    /// halted domain (or a bare record) stays halted: a no-op. A paused domain cannot answer and a crashed one
    /// cannot power off: ``HostError/Code/invalidState``.
    func shutdown(_ name: String) async throws(HostError)
    /// Destroys the domain in whatever state it is, then removes every file it owned (snapshot and volatile
    /// disks), then its record; the name is free again. ``HostError/Code/notFound`` when neither a domain nor a
    /// record of that name exists.
    func destroy(_ name: String) async throws(HostError)
    /// Merges `values` into the domain's metadata (a nil value removes the key; removing a missing key is fine).
    func updateMetadata(_ name: String, _ values: [String: String?]) async throws(HostError)
    /// Merges `values` only if the metadata holds every pair of `expected`, atomically; returns whether it did
    /// (false: nothing was written). This is how a preload is claimed, so that no two requests (even in two
    /// processes) take the same one. A missing or foreign domain throws as the plain update does.
    func updateMetadata(_ name: String, _ values: [String: String?], ifMatching expected: [String: String])
        async throws(HostError) -> Bool
    /// Claims the paused preload of `request` (atomically, as the conditional update does), unpauses it and marks it
    /// used: the hand-out, on the backend's fastest path. A default built from the other operations exists.
    ///
    /// ``HandOutOutcome/notMatching`` when the record does not match `expected` (nothing written, not even the
    /// host-wide metadata); ``HandOutOutcome/notPaused(_:)`` when the claim and the host-wide metadata were written
    /// but the domain was not paused (left as it is, `used` not written). Throws as ``unpause(_:)`` does for a
    /// missing or foreign domain.
    func handOut(_ request: HandOutRequest) async throws(HostError) -> HandOutOutcome
    /// Merges `values` into the host-wide metadata (a nil value removes the key).
    func updateHostMetadata(_ values: [String: String?]) async throws(HostError)
    /// Returns once the guest is ready: running, and (when `readiness` is set) the readiness key written.
    ///
    /// A paused domain is ready only if it already was (its readiness key written); otherwise, like a paused
    /// domain with no `readiness`, it is ``HostError/Code/invalidState`` at once (unpause it first).
    /// ``HostError/Code/timeout`` after `timeout`; ``HostError/Code/operationFailed`` when the guest crashes,
    /// powers off or is destroyed before it is ready (Xen notices at once); ``HostError/Code/notFound`` when there
    /// is no such domain. Works on any domain (it changes nothing).
    func waitReady(_ name: String, readiness: Readiness?, timeout: Interval) async throws(HostError)
    /// A fingerprint of files (for `revision: auto`); changes when any of them changes. The sim's is always "".
    func fingerprint(files: [String]) async -> String
    /// Cues that the host changed, as they happen, for a level-based consumer to read the host again.
    ///
    /// After a domain shuts down, crashes or is unpaused (by anyone), the stream yields at least one event within
    /// the backend's poll interval: the named case (``HostEvent/shutdown(_:)``, ``HostEvent/crashed(_:)``,
    /// ``HostEvent/unpaused(_:)``) when the backend knows it (the sim), else ``HostEvent/changed`` (Xen). Events are
    /// never replayed; the stream ends when the consumer stops iterating.
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
        /// No domain (nor record) of that name.
        public static let notFound = Code(name: "not-found")
        /// The domain is not dispo's (no `owner=dispo` record, or one naming another UUID); nothing was changed.
        public static let notOwned = Code(name: "not-owned")
        /// ``Host/create(_:)`` of a name that is taken.
        public static let alreadyExists = Code(name: "already-exists")
        /// ``Host/create(_:)`` needs more memory than the host has free.
        public static let insufficientMemory = Code(name: "insufficient-memory")
        /// ``Host/waitReady(_:readiness:timeout:)`` ran out of time.
        public static let timeout = Code(name: "timeout")
        /// The hypervisor refused or failed (also: a guest that died while it was waited for).
        public static let operationFailed = Code(name: "operation-failed")
        /// The host cannot be reached at all (not a dom0, no state file).
        public static let unavailable = Code(name: "unavailable")
        /// The domain's power state does not allow the operation, or a value is out of range (a memory target
        /// above maxmem); nothing was changed.
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
