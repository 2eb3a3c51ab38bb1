public import DispoConfig
public import DispoHost

/// The contract of ``Host`` as named checks that every backend must pass: run under `swift test` against the
/// simulated host and by `dispo-conformance` inside `make e2e` against Xen.
///
/// Each check gets a fresh host from ``makeHost``, makes its own domains (named ``namePrefix`` + a short tag) and
/// host-wide keys, and removes them again whatever happened; a check that passes but leaves one behind fails.
public struct HostConformance: Sendable {
    /// How the backend's event stream tells of a domain's power change.
    public enum EventCues: Sendable {
        /// With the named case (`.unpaused(name)`, `.shutdown(name)`): the checks expect exactly those.
        case named
        /// With ``HostEvent/changed``: the checks first wait until no event came for `quiet` (real time; longer
        /// than the backend's poll interval), so that a cue that arrives later is the change's.
        case changed(quiet: Duration)
    }

    /// A fresh host on the backend under test, for one check.
    public var makeHost: @Sendable () async throws -> any Host
    /// A spec that boots on the backend; its `ready` is what the checks wait for.
    public var spec: EffectiveSpec
    /// Makes the running domain named by the second argument never ready from now on, and returns the readiness to
    /// wait for in vain (the sim injects a fault; on Xen, a key the guest never writes).
    public var neverReady: @Sendable (any Host, String) async throws -> Readiness
    /// A running domain dispo did not make, present on every host ``makeHost`` returns; nil skips the checks that
    /// need one.
    public var foreignDomain: String?
    public var events: EventCues
    /// The longest an asynchronous effect (a guest powering off, an event) may take, in real time: only a check
    /// about to fail waits that long.
    public var patience: Duration
    /// The names of the domains the checks make start with it; host-wide keys with `<prefix>conformance.`.
    public var namePrefix: String

    public init(
        makeHost: @escaping @Sendable () async throws -> any Host, spec: EffectiveSpec,
        neverReady: @escaping @Sendable (any Host, String) async throws -> Readiness, foreignDomain: String?,
        events: EventCues, patience: Duration = .seconds(60), namePrefix: String = "cf-"
    ) {
        self.makeHost = makeHost
        self.spec = spec
        self.neverReady = neverReady
        self.foreignDomain = foreignDomain
        self.events = events
        self.patience = patience
        self.namePrefix = namePrefix
    }

    /// How long a booting guest may take to be ready: the spec's readiness timeout.
    var bootTimeout: Interval { spec.ready?.timeout ?? Readiness.defaultTimeout }

    /// One named part of the contract.
    public struct Check: Sendable, CustomStringConvertible {
        /// Kebab-case, stable (the e2e scenario prints it).
        public let name: String
        let body: @Sendable (ConformanceRun) async throws -> Void

        init(_ name: String, _ body: @escaping @Sendable (ConformanceRun) async throws -> Void) {
            self.name = name
            self.body = body
        }

        public var description: String { name }
    }

    /// How a check went.
    public enum Outcome: Sendable, Hashable, CustomStringConvertible {
        case passed
        /// What broke the contract (or stopped the check).
        case failed(String)
        /// The backend lacks what the check needs (e.g. no foreign domain).
        case skipped(String)

        public var description: String {
            switch self {
            case .passed: "passed"
            case .failed(let reason): "failed: \(reason)"
            case .skipped(let reason): "skipped: \(reason)"
            }
        }
    }

    /// Every check, in a fixed order.
    public static var checks: [Check] {
        lifecycleChecks + refusalChecks + metadataChecks + readinessChecks
    }

    /// Runs `check` on a fresh host, then removes what it made; never throws.
    public func run(_ check: Check) async -> Outcome {
        let host: any Host
        do {
            host = try await makeHost()
        } catch {
            return .failed("cannot open the host: \(error)")
        }
        let run = ConformanceRun(host: host, conformance: self, check: check.name)
        var outcome: Outcome
        do {
            try await check.body(run)
            outcome = .passed
        } catch let skip as ConformanceSkip {
            outcome = .skipped(skip.reason)
        } catch {
            outcome = .failed(String(describing: error))
        }
        let leftovers = await run.cleanUp()
        if outcome == .passed, !leftovers.isEmpty {
            outcome = .failed("left behind: " + leftovers.joined(separator: "; "))
        }
        return outcome
    }
}

/// A broken promise of the contract, with what was seen.
public struct ConformanceFailure: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// A check that cannot run on this backend.
struct ConformanceSkip: Error, Sendable {
    var reason: String
}
