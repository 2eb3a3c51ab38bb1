public import DispoHost

/// How the reconciler runs actions.
public struct ReconcileOptions: Sendable {
    /// Most actions (preload creations) at once.
    public var parallel: Int
    /// Back-off after a failure: `base * 2^(n-1)` seconds, capped.
    public var backoffBase: Double
    public var backoffCap: Double
    /// Give a failing object up after this many failures (nil: never, as the controller does).
    public var maxAttempts: Int?
    public var plan: PlanOptions
    /// Grow refill batches 1, 2, 4, ... per template, and stop a batch at its first failure.
    public var slowStart: Bool

    public init(
        parallel: Int = 2, backoffBase: Double = 1, backoffCap: Double = 60, maxAttempts: Int? = 3,
        plan: PlanOptions = .init(), slowStart: Bool = true
    ) {
        self.parallel = max(1, parallel)
        self.backoffBase = backoffBase
        self.backoffCap = backoffCap
        self.maxAttempts = maxAttempts
        self.plan = plan
        self.slowStart = slowStart
    }
}

extension ReconcileOptions {
    /// A fresh back-off with these options.
    func makeBackoff() -> Backoff {
        Backoff(base: backoffBase, cap: backoffCap, maxAttempts: maxAttempts)
    }
}

/// What the reconciler reports while it works (for progress lines, logs and metrics).
public enum ReconcileEvent: Sendable {
    case planned(Plan)
    case started(Action, name: String)
    /// A preload's memory shrink before its pause, measured; comes right before its `finished`.
    case shrunk(Action, name: String, ShrinkRecord)
    case finished(Action, name: String, seconds: Double, note: String?)
    case failed(Action, name: String?, seconds: Double, error: HostError)
    /// A host suspend record that no longer counts was removed (``HostSuspension``): why.
    case suspensionIgnored(reason: String)
}

/// The end of `converge`.
public struct ConvergeOutcome: Sendable {
    /// Nothing runnable is left (memory-limited gaps and pending restarts may remain: see `waits`).
    public var converged: Bool
    /// Objects given up after repeated failures, with their last error.
    public var failures: [String: String]
    /// What still waits, and why.
    public var plan: Plan
    public var actionsRun: Int
    public var passes: Int

    public init(converged: Bool, failures: [String: String], plan: Plan, actionsRun: Int, passes: Int) {
        self.converged = converged
        self.failures = failures
        self.plan = plan
        self.actionsRun = actionsRun
        self.passes = passes
    }
}
