/// The keys of dispo's per-domain metadata, stored where guests cannot write.
public enum MetadataKey {
    public static let owner = "owner"
    public static let ownerValue = "dispo"
    /// ``Role`` raw value.
    public static let role = "role"
    /// The DisposableTemplate the domain was made from.
    public static let template = "template"
    /// Digest of the effective spec the domain was made from.
    public static let revision = "revision"
    /// ``Stage`` raw value.
    public static let stage = "stage"
    public static let dispid = "dispid"
    /// Seconds since the Unix epoch, when creation began.
    public static let created = "created"
    /// A preload's memory shrink before its pause, measured (the engine's `ShrinkRecord`: `result=reached
    /// before_kib=N after_kib=N seconds=S ...`); written with `stage=paused`.
    public static let shrink = "shrink"
}

/// What a dispo-made domain is for.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
    case preload, unnamed, named
}

/// How far a domain got in its life; written durably at each step so a restart knows what was interrupted.
public enum Stage: String, Sendable, Hashable, Codable, CaseIterable {
    case creating, starting, ready, paused, requested, used
}

/// Host-wide metadata keys (not per domain).
public enum HostMetadataKey {
    /// Prefix of `released.<dispid>` = seconds since the epoch when that dispid was released.
    public static let releasedPrefix = "released."
    /// Prefix of `lastuse.<template>` = seconds since the epoch of the last hand-out from that template.
    public static let lastUsePrefix = "lastuse."
    /// Digest of the config last fully reconciled.
    public static let observedConfig = "observed-config"
    /// The controller's reconcile history (``HistoryRecord`` in the daemon), kept across restarts.
    public static let history = "history"
    /// The process id of the running controller (`dispo watch`), which owns the preload queues while it runs.
    public static let controller = "controller"
    /// Preloads are held for a host suspend (`dispo sleep pre`) until `dispo sleep post` removes it; the value is
    /// a ``HostSuspension`` record of the engine (when, on which boot).
    public static let suspend = "suspend"
}
