import DispoConfig
import DispoHost

/// Shrinks a preload to Qubes' preferred memory before its pause, as qmemman does for `domain-pre-paused`
/// (`qubes/qmemman/algo.py`, `systemstate.py` `do_balloon_dom`):
/// - preferred = max(min(used x 1.3, maxmem), 200 MiB), `used` being what the guest reports
///   (``DispoHost/Domain/reportedUse``); the target is that, but never above what the domain holds when the shrink
///   begins (dispo does not grow a preload before pausing it);
/// - a guest that has not reported its use is not ballooned (``ShrinkRecord/Result/notReported``), as in Qubes;
/// - every 0.1 s the current memory is read and the target set again (recomputed from the guest's report every
///   second, but never raised: Xen's enforced target lowers the domain's maxmem with it, so a raise would be
///   refused); success when the memory is within 1.1x of the target; given up 3 s or more after the start when
///   less than 100 MiB was released in the last second.
///
/// The memory read is ``DispoHost/Host/domain(named:)``'s `memory`: what the domain holds, not its target.
enum Shrinker {
    static let pollInterval = 0.1
    static let giveUpAfter = 3.0
    static let minimumRateKiB: UInt64 = 100 * 1024
    /// How often the target is recomputed from the guest's latest report (Qubes: every 10 iterations).
    static let recomputeInterval = 1.0
    /// Rounding of the clock's readings, so that the 30th poll is 3 s after the start, not 2.9999999 s.
    static let slack = 1e-6
    /// Qubes' CACHE_FACTOR, as a fraction.
    static let cacheFactor: (numerator: UInt64, denominator: UInt64) = (13, 10)
    /// Qubes' MIN_PREFMEM.
    static let minimumPreferred = Size.mebibytes(200)

    /// Qubes' preferred memory of a guest that reports `used`: max(min(used x 1.3, maxmem), 200 MiB).
    static func preferred(used: Size, maxmem: Size) -> Size {
        let (product, overflow) = used.kibibytes.multipliedReportingOverflow(by: cacheFactor.numerator)
        let scaled = overflow ? UInt64.max : product / cacheFactor.denominator
        return Size(kibibytes: max(min(scaled, maxmem.kibibytes), minimumPreferred.kibibytes))
    }

    /// The shrink target: the preferred memory, capped at what the domain holds (`current`).
    static func target(used: Size, maxmem: Size, current: Size) -> Size {
        min(preferred(used: used, maxmem: maxmem), current)
    }

    /// Shrinks `name` (a running preload made with `maxmem`) and says what happened; throws when the domain
    /// vanishes, a host operation fails or the task is cancelled.
    static func shrink(_ name: String, maxmem: Size, host: any Host, clock: any HostClock) async throws(HostError)
        -> ShrinkRecord
    {
        let start = clock.now()
        let first = try await read(name, host: host)
        let before = first.memory
        guard let used = first.reportedUse else {
            return ShrinkRecord(result: .notReported, before: before, after: before, seconds: clock.now() - start)
        }
        var target = Self.target(used: used, maxmem: maxmem, current: before)
        var lastUse = used
        guard target < before else {
            return ShrinkRecord(
                result: .nothingToRelease, before: before, after: before, target: target, reportedUse: used,
                seconds: clock.now() - start)
        }
        try await host.setMemoryTarget(name, target)
        var samples: [(time: Double, kib: UInt64)] = [(start, before.kibibytes)]
        var recomputedAt = start
        var polls = 0
        while true {
            polls += 1
            do {
                // On a grid from the start, so that a slow host operation does not stretch the polling.
                try await clock.sleep(until: max(clock.now(), start + Double(polls) * pollInterval))
            } catch {
                throw HostError(.operationFailed, domain: name, "cancelled while shrinking its memory")
            }
            let domain = try await read(name, host: host)
            let now = clock.now()
            let actual = domain.memory.kibibytes
            if now - recomputedAt >= recomputeInterval - slack {
                recomputedAt = now
                if let used = domain.reportedUse {
                    lastUse = used
                    target = min(target, Self.target(used: used, maxmem: maxmem, current: before))
                }
            }
            if actual <= target.kibibytes + target.kibibytes / 10 {
                return ShrinkRecord(
                    result: .reached, before: before, after: domain.memory, target: target, reportedUse: lastUse,
                    seconds: now - start)
            }
            samples.append((now, actual))
            if now - start >= giveUpAfter - slack {
                let older = samples.last { now - $0.time >= 1.0 - slack } ?? samples[0]
                let released = older.kib > actual ? older.kib - actual : 0
                if released < minimumRateKiB {
                    return ShrinkRecord(
                        result: .gaveUp, before: before, after: domain.memory, target: target, reportedUse: lastUse,
                        seconds: now - start)
                }
            }
            try await host.setMemoryTarget(name, target)
        }
    }

    private static func read(_ name: String, host: any Host) async throws(HostError) -> Domain {
        guard let domain = try await host.domain(named: name) else {
            throw HostError(.notFound, domain: name, "vanished while shrinking its memory")
        }
        return domain
    }
}
