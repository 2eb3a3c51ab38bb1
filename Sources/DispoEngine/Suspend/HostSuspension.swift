public import DispoHost

import struct Foundation.Date

/// Preloads held for a host suspend: the record `dispo sleep pre` writes in the host-wide metadata
/// (``HostMetadataKey/suspend``) and `dispo sleep post` removes. While it is in force the planner removes every
/// preload (reason `suspend`) and refills none; disposables in use are left alone (Qubes' `internal.SuspendPre`
/// and `internal.SuspendPost`: paused domains break across a host suspend).
///
/// A lost `post` must not leave the host without preloads for good, so a record is in force only on the boot that
/// wrote it, and only for ``limit`` seconds of awake time after it (``HostClock/awake()``: time spent suspended
/// does not count, so a long sleep never ends it early, e.g. before the hibernation of `suspend-then-hibernate`).
/// Otherwise it is ignored with a warning, and the next pass of a controller or of `apply` removes it.
public struct HostSuspension: Sendable, Hashable {
    /// Wall-clock seconds when it was recorded (for people).
    public var since: Double
    /// ``HostClock/awake()`` when it was recorded.
    public var awake: Double
    /// ``HostClock/boot`` when it was recorded.
    public var boot: String

    /// Awake seconds a record stays in force without a `post`: far more than systemd takes from its sleep hooks to
    /// the sleep and from the wake-up back to them.
    public static let limit: Double = 600

    public init(since: Double, awake: Double, boot: String) {
        self.since = since
        self.awake = awake
        self.boot = boot
    }

    /// A record of now, on `clock`.
    public init(now clock: any HostClock) {
        self.init(since: clock.wallNow(), awake: clock.awake(), boot: clock.boot)
    }

    /// The metadata value: `since=S awake=A boot=B`.
    public var encoded: String {
        "since=\(since) awake=\(awake) boot=\(boot.isEmpty ? "-" : boot)"
    }

    /// Reads ``encoded``; nil when a field is missing or malformed.
    public init?(encoded: String) {
        var fields: [Substring: Substring] = [:]
        for part in encoded.split(separator: " ") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { return nil }
            fields[pair[0]] = pair[1]
        }
        guard let since = fields["since"].flatMap({ Double($0) }), let awake = fields["awake"].flatMap({ Double($0) }),
            let boot = fields["boot"], since.isFinite, awake.isFinite
        else { return nil }
        self.init(since: since, awake: awake, boot: boot == "-" ? "" : String(boot))
    }

    /// ``since`` in RFC 3339, UTC, to the second.
    public var sinceText: String {
        Date(timeIntervalSince1970: since).ISO8601Format(
            .iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
    }

    /// Awake seconds since it was recorded, on `clock`.
    public func age(on clock: any HostClock) -> Double {
        clock.awake() - awake
    }

    /// What the host-wide metadata says about a host suspend, judged on `clock`.
    public enum Judgement: Sendable, Hashable {
        /// No record: preloads refill as usual.
        case none
        /// Preloads are held.
        case inForce(HostSuspension)
        /// A record that no longer counts (it is removed); why, for the warning.
        case ignored(reason: String)

        /// The suspension in force, if any.
        public var inForce: HostSuspension? {
            if case .inForce(let suspension) = self { return suspension }
            return nil
        }
    }

    /// Judges the record in `metadata` by the rule above.
    public static func judge(_ metadata: [String: String], clock: any HostClock) -> Judgement {
        guard let text = metadata[HostMetadataKey.suspend] else { return .none }
        guard let record = HostSuspension(encoded: text) else {
            return .ignored(reason: "the host suspend record \"\(text)\" is unreadable; preloads refill")
        }
        if record.boot != clock.boot {
            return .ignored(
                reason: "preloads were held for a host suspend on an earlier boot and never resumed "
                    + "(dispo sleep post did not run); preloads refill")
        }
        let age = record.age(on: clock)
        if age < 0 || age > limit {
            return .ignored(
                reason: "preloads were held for a host suspend \(Int(age.rounded())) s ago (awake) "
                    + "and dispo sleep post never came (the limit is \(Int(limit)) s); preloads refill")
        }
        return .inForce(record)
    }
}
