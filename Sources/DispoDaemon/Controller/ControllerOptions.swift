public import DispoEngine

/// How `dispo watch` runs.
public struct ControllerOptions: Sendable {
    /// Seconds between periodic re-plans even when nothing signals a change.
    public var resync: Double
    /// Seconds given to jobs in flight to finish on SIGTERM/SIGINT.
    public var drainTimeout: Double
    public var reconcile: ReconcileOptions
    /// systemd's watchdog (`WatchdogSec=`), when it is on: the controller's loop pings it.
    public var watchdog: Watchdog?

    public init(
        resync: Double = 30, drainTimeout: Double = 30, reconcile: ReconcileOptions = .controller,
        watchdog: Watchdog? = nil
    ) {
        self.resync = resync
        self.drainTimeout = drainTimeout
        self.reconcile = reconcile
        self.watchdog = watchdog
    }
}

extension ReconcileOptions {
    /// The controller never gives an object up: it backs off, up to five minutes between tries.
    public static var controller: ReconcileOptions {
        ReconcileOptions(backoffBase: 1, backoffCap: 300, maxAttempts: nil)
    }
}

/// Why the controller wakes up.
public enum Trigger: Sendable, Equatable {
    /// The watcher saw the config directory change: reload, then re-plan.
    case configChanged
    /// SIGHUP: reload and re-plan, and give failing objects a fresh start.
    case rescan
    /// A domain event from the host.
    case host
    /// A job finished.
    case jobDone
    /// The periodic resync, or a refill delay or back-off ending.
    case timer
    /// A request took a disposable (the refill follows its delay).
    case request
    /// A host suspend began or ended (`dispo sleep pre`/`post`).
    case suspend
    /// systemd's watchdog period ended: ping it when the loop comes round (no pass of its own).
    case watchdog
}
