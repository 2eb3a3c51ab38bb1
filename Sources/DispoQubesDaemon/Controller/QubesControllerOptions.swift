/// How `dispo watch --host qubes` runs.
public struct QubesControllerOptions: Sendable {
    /// Seconds between periodic passes even when nothing signals a change.
    public var resync: Double
    /// Let an empty config remove every qube dispo made (the planner's guard otherwise removes nothing).
    public var allowEmpty: Bool
    /// Read-plan-run rounds a pass makes before it waits for the next trigger (as `apply`'s passes).
    public var roundsPerPass: Int
    /// The first wait, in seconds, before a pass that failed (qubesd unreachable, a change refused) is retried;
    /// it doubles on each failure in a row, up to ``resync``.
    public var retryBase: Double

    public init(resync: Double = 30, allowEmpty: Bool = false, roundsPerPass: Int = 4, retryBase: Double = 1) {
        self.resync = resync
        self.allowEmpty = allowEmpty
        self.roundsPerPass = roundsPerPass
        self.retryBase = retryBase
    }

    /// The wait before the next try after `failures` failed passes in a row (at least one).
    func retryDelay(afterFailures failures: Int) -> Double {
        guard failures > 0 else { return resync }
        return min(resync, retryBase * Double(1 << min(failures - 1, 20)))
    }
}
