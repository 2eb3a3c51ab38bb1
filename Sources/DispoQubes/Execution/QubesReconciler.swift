public import DispoConfig

/// The Qubes reconcile loop of `diff` and `apply`: read with listings, plan, run, read again until nothing is left
/// (a pass's creations are read back and only what still differs is set).
public struct QubesReconciler: Sendable {
    public let client: AdminClient
    public var options: QubesPlanner.Options
    /// Passes before apply gives up converging (each pass is a read, a plan and a run).
    public var maxPasses = 4

    public init(client: AdminClient, options: QubesPlanner.Options = .init()) {
        self.client = client
        self.options = options
    }

    /// The plan against qubesd as it is now.
    public func plan(_ desired: DesiredState) async throws(QubesError) -> QubesPlan {
        let observed = try await QubesReader(client: client).read(for: desired)
        return QubesPlanner.plan(desired, observed, options: options)
    }

    /// Applies until a pass has nothing runnable left, a change fails, or ``maxPasses`` is reached.
    public func converge(_ desired: DesiredState, onChange: (QubesChange, QubesError?) -> Void = { _, _ in })
        async throws(QubesError) -> QubesExecutor.Outcome
    {
        var outcome = QubesExecutor.Outcome()
        let executor = QubesExecutor(client: client)
        let reader = QubesReader(client: client)
        while true {
            let observed = try await reader.read(for: desired)
            outcome.plan = QubesPlanner.plan(desired, observed, options: options)
            outcome.observed = observed
            let nothingToRun = outcome.plan.runnable.isEmpty && !outcome.plan.indexChanged
            if nothingToRun || outcome.passes >= maxPasses || !outcome.failures.isEmpty { break }
            outcome.passes += 1
            let (ran, failures) = await executor.run(outcome.plan, observedIndex: observed.index, onChange: onChange)
            outcome.changesRun += ran
            outcome.failures += failures
        }
        return outcome
    }
}
