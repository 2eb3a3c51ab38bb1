#if canImport(Glibc)
    import Glibc
#endif

/// Time as the engine and the hosts see it, injected so that tests run in virtual time.
///
/// Two readings, never mixed: ``now()`` is monotonic and is what every delay, back-off, timeout, debounce and
/// deadline is measured on (a wall-clock step — NTP, a suspended laptop — moves none of them); ``wallNow()`` is
/// the calendar, used only for what is recorded for people and across restarts (creation times that order a
/// queue, release times of the 7-day dispid rule, last uses, history).
public protocol HostClock: Sendable {
    /// Monotonic seconds (an arbitrary origin; only differences mean anything).
    func now() -> Double
    /// Seconds since the Unix epoch.
    func wallNow() -> Double
    /// Sleeps until ``now()`` reaches `deadline`; throws on cancellation.
    func sleep(until deadline: Double) async throws
    /// Monotonic seconds the machine has been awake (not counting time suspended), comparable between the
    /// processes of one boot; ``now()`` by default.
    func awake() -> Double
    /// What identifies this boot of the machine (readings of ``awake()`` compare only within one); "" by default.
    var boot: String { get }
}

extension HostClock {
    public func awake() -> Double { now() }

    public var boot: String { "" }

    public func sleep(seconds: Double) async throws {
        try await sleep(until: now() + seconds)
    }

    /// The monotonic time at which the wall clock showed `wall`, as this clock converts it now (a record made
    /// by an earlier process, looked at once and then kept).
    public func monotonic(ofWall wall: Double) -> Double {
        now() - (wallNow() - wall)
    }
}

/// The system's clocks: `CLOCK_BOOTTIME` (monotonic, counts suspend, as Swift's `ContinuousClock` does on Linux),
/// `CLOCK_MONOTONIC` (awake time) and `CLOCK_REALTIME`; the boot is the kernel's `boot_id`.
public struct SystemClock: HostClock {
    public init() {}

    public func now() -> Double { Self.read(CLOCK_BOOTTIME) }

    public func awake() -> Double { Self.read(CLOCK_MONOTONIC) }

    public var boot: String { Self.bootID }

    /// `/proc/sys/kernel/random/boot_id`, read once ("" when unreadable).
    private static let bootID: String = {
        guard let file = fopen("/proc/sys/kernel/random/boot_id", "r") else { return "" }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 64)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return "" }
        let text = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.filter { !$0.isWhitespace }
    }()

    public func wallNow() -> Double { Self.read(CLOCK_REALTIME) }

    public func sleep(until deadline: Double) async throws {
        let remaining = deadline - now()
        if remaining > 0 { try await Task.sleep(for: .nanoseconds(Int64(remaining * 1e9))) }
    }

    private static func read(_ clock: clockid_t) -> Double {
        var spec = timespec()
        clock_gettime(clock, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
