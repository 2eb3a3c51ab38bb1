public import DispoConfig
public import DispoHost

/// The controller's mode: plan, start what may start now in the background, and return at once.
/// Each finished job calls `onJobDone`, which should trigger the next pass.
extension Reconciler {
    /// One non-blocking pass: relabels adopted preloads, starts the runnable actions of the lowest wave
    /// that has work (in flight or runnable) up to the concurrency limit, and returns the plan.
    public func launch(_ desired: DesiredState, onJobDone: @escaping @Sendable () -> Void) async throws(HostError)
        -> LaunchResult
    {
        let (snapshot, input, plan) = try await planAndRelabel(desired)
        let runner = ActionRunner(host: host, clock: clock)
        var runnable = plan.runnable.filter { !inFlight.contains($0.name ?? "") }
        if options.slowStart {
            var allowed: [String: Int] = [:]
            runnable = runnable.filter { action in
                guard action.op == .create else { return true }
                let room = allowed[action.template]
                    ?? max(0, (window[action.template] ?? 1) - (creating[action.template] ?? 0))
                guard room > 0 else { return false }
                allowed[action.template] = room - 1
                return true
            }
        }
        let lowest = (runnable.map(\.wave) + runningWaves.values).min()
        let capacity = max(0, options.parallel - launched.count)
        let chosen = Array(runnable.filter { $0.wave == lowest }.prefix(capacity))
        let jobs = makeJobs(chosen, desired: desired, revisions: input.revisions, snapshot: snapshot)
        let clock = self.clock
        for job in jobs {
            begin(job)
            runningWaves[job.name] = job.action.wave
            launched[job.name] = Task {
                let result = await Self.execute(job, runner: runner, clock: clock)
                self.finishLaunched(result)
                onJobDone()
            }
        }
        return LaunchResult(plan: plan, started: jobs.count + plan.adoptions.count, inFlight: launched.count)
    }

    func finishLaunched(_ result: JobResult) {
        record(result)
        launched[result.job.name] = nil
        runningWaves[result.job.name] = nil
    }

    /// Waits for the jobs in flight, at most `seconds`; returns how many were still running then.
    public func drain(within seconds: Double) async -> Int {
        let deadline = clock.now() + seconds
        while !launched.isEmpty, clock.now() < deadline {
            do { try await clock.sleep(until: min(deadline, clock.now() + 0.05)) } catch { break }
        }
        return launched.count
    }

    /// Jobs running now.
    public var inFlightCount: Int { launched.count }

    /// Objects given up after repeated failures, with their last error.
    public var givenUp: [String: String] {
        Dictionary(uniqueKeysWithValues: backoff.givenUp.map { ($0, backoff.lastError[$0] ?? "") })
    }

    /// Forgets back-offs (a config change or a manual rescan gives failing objects a fresh start).
    public func resetBackoff() {
        backoff = Backoff(base: options.backoffBase, cap: options.backoffCap, maxAttempts: options.maxAttempts)
    }
}

/// What one non-blocking pass did.
public struct LaunchResult: Sendable {
    public var plan: Plan
    /// Jobs started (and preloads relabelled) by this pass.
    public var started: Int
    /// Jobs running after this pass.
    public var inFlight: Int
}
