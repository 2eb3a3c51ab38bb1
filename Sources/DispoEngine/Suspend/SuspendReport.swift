public import DispoHost

/// What `dispo sleep pre --json` prints and `POST /v1/host/suspend` answers.
public struct SuspendReport: Sendable, Codable, Equatable {
    /// Always true: preloads are held until `dispo sleep post`.
    public var suspended: Bool
    /// RFC 3339, UTC: when the hold was recorded.
    public var since: String
    /// Preloads removed (paused ones and ones still starting).
    public var removed: Int
    /// Preloads still there when the time ran out (empty: all gone; the command then exits 1).
    public var left: [String]
    /// How long the removal took.
    public var seconds: Double
    /// `controller` (through `dispo watch`) or `host` (this command acted on the host itself).
    public var via: String

    package init(_ outcome: SuspendOutcome, via: String) {
        suspended = true
        since = outcome.suspension.sinceText
        removed = outcome.removed
        left = outcome.left
        seconds = (outcome.seconds * 1000).rounded() / 1000
        self.via = via
    }
}

/// What `dispo sleep post --json` prints and `POST /v1/host/resume` answers.
public struct ResumeReport: Sendable, Codable, Equatable {
    /// Always false: the hold is over.
    public var suspended: Bool
    /// Whether preloads were held (a record was there).
    public var wasSuspended: Bool
    /// Awake seconds they were held, when the record was of this boot.
    public var heldSeconds: Double?
    /// True when a controller refills the queues now (slow start); false: the next `dispo apply` or the next
    /// `dispo watch` does.
    public var refilling: Bool
    /// `controller` or `host`, as in ``SuspendReport``.
    public var via: String

    enum CodingKeys: String, CodingKey {
        case suspended
        case wasSuspended = "was_suspended"
        case heldSeconds = "held_seconds"
        case refilling, via
    }

    package init(_ record: HostSuspension?, wasSuspended: Bool, clock: any HostClock, refilling: Bool, via: String) {
        suspended = false
        self.wasSuspended = wasSuspended
        heldSeconds = record.flatMap { record in
            guard record.boot == clock.boot else { return nil }
            return (record.age(on: clock) * 10).rounded() / 10
        }
        self.refilling = refilling
        self.via = via
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(suspended, forKey: .suspended)
        try container.encode(wasSuspended, forKey: .wasSuspended)
        try container.encode(heldSeconds, forKey: .heldSeconds)
        try container.encode(refilling, forKey: .refilling)
        try container.encode(via, forKey: .via)
    }
}
