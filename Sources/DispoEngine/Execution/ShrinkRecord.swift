public import DispoConfig

/// What the memory shrink of a preload before its pause did, measured: kept in the preload's metadata
/// (``DispoHost/MetadataKey/shrink``) and shown by `dispo status --json` (`preloads[].shrink`) and the controller's
/// events and log (`memory shrunk`).
public struct ShrinkRecord: Sendable, Hashable, Codable {
    public enum Result: String, Sendable, Hashable, Codable, CaseIterable {
        /// The domain came within 1.1x of the target.
        case reached
        /// Less than 100 MiB was released in the last second, 3 s or more after the start (Qubes' rule).
        case gaveUp = "gave-up"
        /// The guest has not reported its use (or reported garbage): no ballooning, as in Qubes.
        case notReported = "not-reported"
        /// The preferred memory is not below what the domain holds: nothing to release (dispo never grows one).
        case nothingToRelease = "nothing-to-release"
    }

    public var result: Result
    /// What the domain held when the shrink began, in KiB.
    public var beforeKiB: UInt64
    /// What it held when the shrink ended (right before the pause), in KiB.
    public var afterKiB: UInt64
    /// The balloon target set (the last one, as it is recomputed every second), in KiB; nil when none was set.
    public var targetKiB: UInt64?
    /// The use the guest reported when the shrink began (last), in KiB; nil when it had not reported.
    public var reportedUseKiB: UInt64?
    /// How long the shrink took (from the first look at the domain to the last), to the millisecond.
    public var seconds: Double

    public init(
        result: Result, before: Size, after: Size, target: Size? = nil, reportedUse: Size? = nil, seconds: Double
    ) {
        self.result = result
        beforeKiB = before.kibibytes
        afterKiB = after.kibibytes
        targetKiB = target?.kibibytes
        reportedUseKiB = reportedUse?.kibibytes
        self.seconds = (seconds * 1000).rounded() / 1000
    }

    public var before: Size { Size(kibibytes: beforeKiB) }
    public var after: Size { Size(kibibytes: afterKiB) }
    public var target: Size? { targetKiB.map { Size(kibibytes: $0) } }
    public var reportedUse: Size? { reportedUseKiB.map { Size(kibibytes: $0) } }

    enum CodingKeys: String, CodingKey {
        case result, seconds
        case beforeKiB = "before_kib"
        case afterKiB = "after_kib"
        case targetKiB = "target_kib"
        case reportedUseKiB = "reported_use_kib"
    }

    /// `memory 600MiB -> 325MiB in 0.3s, target 325MiB, guest uses 250MiB`, or why nothing was released.
    public var summary: String {
        let facts = [
            targetKiB.map { "target \(Self.mebibytes($0))" }, reportedUseKiB.map { "guest uses \(Self.mebibytes($0))" },
        ].compactMap { $0 }
        let before = Self.mebibytes(beforeKiB)
        switch result {
        case .reached, .gaveUp:
            let verb = result == .reached ? "memory" : "memory shrink gave up:"
            return (["\(verb) \(before) -> \(Self.mebibytes(afterKiB)) in \(seconds)s"] + facts).joined(separator: ", ")
        case .notReported:
            return "memory \(before) kept: the guest has not reported its use, so no ballooning"
        case .nothingToRelease:
            return (["memory \(before) kept: nothing to release"] + facts).joined(separator: ", ")
        }
    }

    /// `325MiB`, or `450.2MiB` when not a whole number of MiB (to the nearest tenth).
    static func mebibytes(_ kibibytes: UInt64) -> String {
        if kibibytes % 1024 == 0 { return "\(kibibytes / 1024)MiB" }
        let tenths = (kibibytes * 10 + 512) / 1024
        return "\(tenths / 10).\(tenths % 10)MiB"
    }

    // MARK: - The metadata value

    /// `result=reached before_kib=614400 after_kib=332800 target_kib=332800 reported_use_kib=256000 seconds=0.3`.
    public var metadataValue: String {
        var fields = ["result=\(result.rawValue)", "before_kib=\(beforeKiB)", "after_kib=\(afterKiB)"]
        if let targetKiB { fields.append("target_kib=\(targetKiB)") }
        if let reportedUseKiB { fields.append("reported_use_kib=\(reportedUseKiB)") }
        fields.append("seconds=\(seconds)")
        return fields.joined(separator: " ")
    }

    /// The record a metadata value holds; nil when it is not one (missing fields, unknown result, bad numbers).
    public init?(metadataValue text: String) {
        var fields: [Substring: Substring] = [:]
        for field in text.split(separator: " ") {
            guard let equals = field.firstIndex(of: "=") else { return nil }
            fields[field[..<equals]] = field[field.index(after: equals)...]
        }
        func kib(_ key: Substring) -> UInt64?? {
            guard let value = fields[key] else { return .some(nil) }
            return UInt64(value).map { .some($0) }
        }
        guard let result = fields["result"].flatMap({ Result(rawValue: String($0)) }),
            let before = fields["before_kib"].flatMap({ UInt64($0) }),
            let after = fields["after_kib"].flatMap({ UInt64($0) }),
            let seconds = fields["seconds"].flatMap({ Double($0) }), seconds.isFinite, seconds >= 0,
            let target = kib("target_kib"), let used = kib("reported_use_kib")
        else { return nil }
        self.init(
            result: result, before: Size(kibibytes: before), after: Size(kibibytes: after),
            target: target.map { Size(kibibytes: $0) }, reportedUse: used.map { Size(kibibytes: $0) },
            seconds: seconds)
    }
}
