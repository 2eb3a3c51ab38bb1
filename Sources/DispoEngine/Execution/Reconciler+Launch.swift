public import DispoConfig
public import DispoHost

/// The controller's mode: plan, start what may start now in the background, and return at once.
/// Each finished job calls `onJobDone`, which should trigger the next pass.
extension Reconciler {
    /// One non-blocking pass: relabels adopted preloads, starts the runnable actions of the lowest wave
    /// that has work (in flight or runnable) up to the concurrency limit, and returns the plan.
    package func launch(_ desired: DesiredState, onJobDone: @escaping @Sendable () -> Void) async throws(HostError)
        -> LaunchResult
    {
        let (snapshot, input, plan) = try await observe(desired)
        let runner = ActionRunner(host: host, clock: clock, coordinator: coordinator)
        let busy = coordinator.busy
        let runnable = admitBySlowStart((relabels(plan, snapshot: snapshot) + plan.runnable).filter {
            !busy.contains($0.name ?? "")
        })
        let lowest = (runnable.map(\.wave) + runningWaves.values).min()
        let capacity = max(0, options.parallel - launched.count)
        let chosen = Array(runnable.filter { $0.wave == lowest }.prefix(capacity))
        let jobs = makeJobs(chosen, desired: desired, revisions: input.revisions, snapshot: snapshot)
        let clock = self.clock
        for job in jobs {
            begin(job)
            runningWaves[job.name] = job.action.wave
            launchedActions[job.name] = job.action
            launched[job.name] = Task {
                let result = await Self.execute(job, runner: runner, clock: clock)
                self.finishLaunched(result)
                onJobDone()
            }
        }
        return LaunchResult(plan: plan, started: jobs.count, inFlight: launched.count)
    }

    func finishLaunched(_ result: JobResult) {
        record(result)
        launched[result.job.name] = nil
        runningWaves[result.job.name] = nil
        launchedActions[result.job.name] = nil
    }

    /// Waits for the jobs in flight (awaiting each, no polling), at most `seconds`; returns how many were still
    /// running then.
    package func drain(within seconds: Double) async -> Int {
        await Deadline.wait(for: Array(launched.values), atMost: seconds, clock: clock)
        return launched.count
    }

    /// Jobs running now.
    package var inFlightCount: Int { launched.count }
}

/// What one non-blocking pass did.
package struct LaunchResult: Sendable {
    package var plan: Plan
    /// Jobs started (and preloads relabelled) by this pass.
    package var started: Int
    /// Jobs running after this pass.
    package var inFlight: Int
}
