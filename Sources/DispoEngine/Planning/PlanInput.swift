public import DispoConfig
public import DispoHost

/// Everything the planner reads: the desired state, the host as observed, the time, and the
/// reconciler's own memory (in-flight work, back-offs).
public struct PlanInput: Sendable {
    public var desired: DesiredState
    /// Revision digests of the current specs: disposable templates and named disposables by name.
    public var revisions: Revisions
    public var snapshot: HostSnapshot
    /// Monotonic seconds (the clock's ``HostClock/now()``): what back-offs and refill delays are compared with.
    public var now: Double
    /// The recorded last use of each disposable template (``HostMetadataKey/lastUsePrefix``) on the monotonic
    /// scale of `now`; a template missing here falls back to its record read as being on that scale.
    public var lastUse: [String: Double]
    /// Domains the executor is working on now; the planner leaves them alone.
    public var inFlight: Set<String>
    /// Preloads being created now, per disposable template (not yet named or not yet in the snapshot).
    public var creatingPreloads: [String: Int]
    /// Keys (``BackoffKey``) that failed recently, with when they may be tried again.
    public var backoffUntil: [String: Double]
    /// A host suspend in force (already judged by ``HostSuspension/judge(_:clock:)``): every preload is removed
    /// and none is made.
    public var suspension: HostSuspension?
    public var options: PlanOptions

    public init(
        desired: DesiredState, revisions: Revisions, snapshot: HostSnapshot, now: Double, lastUse: [String: Double] = [:],
        inFlight: Set<String> = [], creatingPreloads: [String: Int] = [:], backoffUntil: [String: Double] = [:],
        suspension: HostSuspension? = nil, options: PlanOptions = .init()
    ) {
        self.desired = desired
        self.revisions = revisions
        self.snapshot = snapshot
        self.now = now
        self.lastUse = lastUse
        self.inFlight = inFlight
        self.creatingPreloads = creatingPreloads
        self.backoffUntil = backoffUntil
        self.suspension = suspension
        self.options = options
    }
}

/// Flags that change what the planner may do.
public struct PlanOptions: Sendable, Hashable {
    /// Restart running named disposables whose spec changed (otherwise the restart is pending).
    public var restart: Bool
    /// Allow an empty config to remove everything dispo made.
    public var allowEmpty: Bool

    public init(restart: Bool = false, allowEmpty: Bool = false) {
        self.restart = restart
        self.allowEmpty = allowEmpty
    }
}

/// The revision digest of every spec in the desired state.
public struct Revisions: Sendable, Hashable {
    public var disposableTemplates: [String: String] = [:]
    public var namedDisposables: [String: String] = [:]
    /// The host's fingerprints of the `revision: auto` templates' files, by template name, when computed by
    /// ``compute(_:host:)``.
    public var fingerprints: [String: String] = [:]

    public init(disposableTemplates: [String: String] = [:], namedDisposables: [String: String] = [:]) {
        self.disposableTemplates = disposableTemplates
        self.namedDisposables = namedDisposables
    }

    /// Computes every revision; `fingerprint` gives the fingerprint of a template's files (empty on the sim).
    public static func compute(_ desired: DesiredState, fingerprint: (Template) -> String) -> Revisions {
        var revisions = Revisions()
        for name in desired.disposableTemplates.keys {
            if let spec = desired.spec(forDisposableTemplate: name) {
                revisions.disposableTemplates[name] = Digest.revision(of: spec, fingerprint: fingerprint(spec.template))
            }
        }
        for name in desired.namedDisposables.keys {
            if let spec = desired.spec(forNamedDisposable: name) {
                revisions.namedDisposables[name] = Digest.revision(of: spec, fingerprint: fingerprint(spec.template))
            }
        }
        return revisions
    }

    /// Computes every revision, asking the host to fingerprint the files of `revision: auto` templates.
    public static func compute(_ desired: DesiredState, host: any Host) async -> Revisions {
        var fingerprints: [String: String] = [:]
        for template in desired.templates.values where template.revision == .auto {
            fingerprints[template.name] = await host.fingerprint(files: template.revisionFiles)
        }
        var revisions = compute(desired) { fingerprints[$0.name] ?? "" }
        revisions.fingerprints = fingerprints
        return revisions
    }
}

/// Keys for per-object back-off.
public enum BackoffKey {
    public static func preload(_ template: String) -> String { "preload/\(template)" }
    public static func named(_ name: String) -> String { "named/\(name)" }
}
