import DispoConfig
import DispoHost

/// Shrinks a domain toward a memory target before pausing, as Qubes' qmemman does: succeed within 1.1x of
/// the target; give up after 3 s when less than 100 MiB was released in the last second.
enum Shrinker {
    static let pollInterval = 0.1
    static let giveUpAfter = 3.0
    static let minimumRateKiB: UInt64 = 100 * 1024

    enum Outcome: Sendable, Equatable {
        case reached
        case gaveUp(Size)
    }

    static func shrink(_ name: String, to target: Size, host: any Host, clock: any HostClock) async throws(HostError)
        -> Outcome
    {
        try await host.setMemoryTarget(name, target)
        let start = clock.now()
        var samples: [(time: Double, kib: UInt64)] = []
        let goal = target.kibibytes + target.kibibytes / 10
        while true {
            guard let domain = try await host.domain(named: name) else {
                throw HostError(.notFound, domain: name, "vanished while shrinking its memory")
            }
            let now = clock.now()
            if domain.memory.kibibytes <= goal { return .reached }
            samples.append((now, domain.memory.kibibytes))
            if now - start >= giveUpAfter {
                let older = samples.last { now - $0.time >= 1.0 } ?? samples[0]
                let released = older.kib > domain.memory.kibibytes ? older.kib - domain.memory.kibibytes : 0
                if released < minimumRateKiB { return .gaveUp(domain.memory) }
            }
            do {
                try await clock.sleep(until: now + pollInterval)
            } catch {
                throw HostError(.operationFailed, domain: name, "cancelled while shrinking")
            }
        }
    }
}
