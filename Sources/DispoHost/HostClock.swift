import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Time as the engine and the simulated host see it: seconds since the Unix epoch.
///
/// Injected so tests run in virtual time.
public protocol HostClock: Sendable {
    func now() -> Double
    /// Sleeps until `deadline` (seconds since the epoch); throws on cancellation.
    func sleep(until deadline: Double) async throws
}

extension HostClock {
    public func sleep(seconds: Double) async throws {
        try await sleep(until: now() + seconds)
    }
}

/// Wall-clock time.
public struct SystemClock: HostClock {
    public init() {}

    public func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    public func sleep(until deadline: Double) async throws {
        let remaining = deadline - now()
        if remaining > 0 { try await Task.sleep(for: .nanoseconds(Int64(remaining * 1e9))) }
    }
}

/// Virtual time for tests: sleeping jumps the clock to the deadline at once (never backwards).
public final class VirtualClock: HostClock {
    private let current: Mutex<Double>

    public init(start: Double = 1_800_000_000) {
        current = Mutex(start)
    }

    public func now() -> Double { current.withLock { $0 } }

    public func sleep(until deadline: Double) async throws {
        try Task.checkCancellation()
        current.withLock { $0 = Swift.max($0, deadline) }
        await Task.yield()
    }

    /// Moves time forward by `seconds`.
    public func advance(by seconds: Double) {
        current.withLock { $0 += seconds }
    }
}
