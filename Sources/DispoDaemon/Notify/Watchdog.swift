#if canImport(Glibc)
    import Glibc
#endif

/// The service manager's watchdog (`WatchdogSec=`): how often the daemon must say it is alive.
///
/// Enabled as `sd_watchdog_enabled` decides: `$WATCHDOG_USEC` is a positive number of microseconds and
/// `$WATCHDOG_PID` is unset or this process's pid. The controller pings at half the interval, and only from its
/// loop, so a controller wedged in a pass stops pinging and systemd kills and restarts it.
public struct Watchdog: Sendable, Equatable {
    /// Seconds systemd waits between two pings before it declares the daemon hung.
    public var interval: Double

    public init(interval: Double) {
        self.interval = interval
    }

    /// How often the controller pings: half the interval, as systemd recommends.
    public var pingPeriod: Double { interval / 2 }

    /// The watchdog `environment` asks for, or nil.
    /// - Parameter pid: this process's pid (`WATCHDOG_PID` names the process meant).
    public static func from(environment: [String: String], pid: Int32) -> Watchdog? {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0 else {
            return nil
        }
        if let owner = environment["WATCHDOG_PID"], Int32(owner) != pid { return nil }
        return Watchdog(interval: Double(microseconds) / 1_000_000)
    }

    /// The watchdog this process's environment asks for; the two variables are then removed when `unsetting`
    /// (children must not take the ping for themselves).
    public static func fromEnvironment(unsetting: Bool = true) -> Watchdog? {
        var environment: [String: String] = [:]
        for key in ["WATCHDOG_USEC", "WATCHDOG_PID"] {
            if let value = getenv(key) { environment[key] = String(cString: value) }
            if unsetting { unsetenv(key) }
        }
        return from(environment: environment, pid: getpid())
    }
}
