public import DispoConfig
public import DispoHost

/// Plans and executes until the host matches the desired state, with bounded concurrency, per-object
/// back-off and slow-start refill. One instance keeps its back-off and in-flight memory across passes.
public actor Reconciler {
    let host: any Host
    let clock: any HostClock
    let random: any RandomSource
    let options: ReconcileOptions
    let onEvent: @Sendable (ReconcileEvent) -> Void
    var backoff: Backoff
    /// Slow-start window per disposable template.
    var window: [String: Int] = [:]
    var inFlight: Set<String> = []
    var creating: [String: Int] = [:]
    /// Background jobs started by ``launch(_:onJobDone:)``, by domain name, with their waves.
    var launched: [String: Task<Void, Never>] = [:]
    /// Names held by the broker (a subset of `inFlight`).
    var holds: Set<String> = []
    var runningWaves: [String: Int] = [:]
    /// What the newest pass saw: the snapshot it planned on and the revisions it judged preloads by. The broker
    /// picks its candidates from it instead of reading the host again (each claim re-checks the record).
    public private(set) var lastView: HostView?
    /// When the broker handed each name out (pruned once a newer view shows it).
    var handedOut: [String: Double] = [:]

    public init(
        host: any Host, clock: any HostClock, random: any RandomSource = SystemRandomSource(),
        options: ReconcileOptions = .init(), onEvent: @escaping @Sendable (ReconcileEvent) -> Void = { _ in }
    ) {
        self.host = host
        self.clock = clock
        self.random = random
        self.options = options
        self.onEvent = onEvent
        self.backoff = Backoff(base: options.backoffBase, cap: options.backoffCap, maxAttempts: options.maxAttempts)
    }

    /// The plan for `desired` against the host now, without doing anything (what `diff` shows).
    public func plan(_ desired: DesiredState) async throws(HostError) -> Plan {
        let snapshot = try await host.snapshot()
        return Planner.plan(try await input(desired, snapshot: snapshot))
    }

    /// Re-plans and executes until nothing runnable is left; sleeps through back-offs and refill delays.
    public func converge(_ desired: DesiredState, maxPasses: Int = 1000) async throws(HostError) -> ConvergeOutcome {
        var actionsRun = 0
        var passes = 0
        while true {
            passes += 1
            let (plan, ran) = try await pass(desired)
            actionsRun += ran
            if ran > 0, passes < maxPasses { continue }
            guard passes < maxPasses, let wake = nextWake(plan) else {
                let failures = Dictionary(uniqueKeysWithValues: backoff.givenUp.map { ($0, backoff.lastError[$0] ?? "") })
                return ConvergeOutcome(converged: failures.isEmpty && !plan.waits.contains(where: \.isError),
                    failures: failures, plan: plan, actionsRun: actionsRun, passes: passes)
            }
            do { try await clock.sleep(until: wake) } catch { throw HostError(.operationFailed, "cancelled") }
        }
    }

    /// One pass: snapshot, plan, relabel adopted preloads, run the runnable actions wave by wave.
    /// Returns the plan and how many actions ran.
    public func pass(_ desired: DesiredState) async throws(HostError) -> (Plan, Int) {
        let (snapshot, input, plan) = try await planAndRelabel(desired)
        let runnable = limitBySlowStart(plan.runnable)
        var ran = 0
        let waves = Dictionary(grouping: runnable, by: \.wave)
        for wave in waves.keys.sorted() {
            ran += await run(waves[wave] ?? [], desired: desired, revisions: input.revisions, snapshot: snapshot)
        }
        return (plan, ran + plan.adoptions.count)
    }

    /// Snapshot, plan, and relabel the preloads unpaused outside dispo (the start of every pass).
    func planAndRelabel(_ desired: DesiredState) async throws(HostError) -> (HostSnapshot, PlanInput, Plan) {
        let takenAt = clock.now()
        let snapshot = try await host.snapshot()
        let input = try await input(desired, snapshot: snapshot)
        let plan = Planner.plan(input)
        if takenAt >= lastView?.at ?? -.infinity {
            lastView = HostView(snapshot: snapshot, revisions: input.revisions, at: takenAt)
            handedOut = handedOut.filter { $0.value >= takenAt }
        }
        onEvent(.planned(plan))
        let runner = ActionRunner(host: host, clock: clock)
        for name in plan.adoptions {
            guard let domain = snapshot.domain(named: name) else { continue }
            try await runner.adopt(domain)
            onEvent(.adopted(name))
        }
        return (snapshot, input, plan)
    }

    /// When a back-off or refill delay that the plan waits for ends (nil: nothing worth waiting for).
    public func nextWake(_ plan: Plan) -> Double? {
        let times = plan.waits.compactMap { wait -> Double? in
            switch wait.kind {
            case .backoff(let until) where until.isFinite: return until
            case .delay(let until): return until
            default: return nil
            }
        }
        return times.min()
    }

    /// The revision digests of `desired`, with the host's fingerprints for `revision: auto` templates.
    public func revisions(_ desired: DesiredState) async -> Revisions {
        await Revisions.compute(desired, host: host)
    }

    func input(_ desired: DesiredState, snapshot: HostSnapshot) async throws(HostError) -> PlanInput {
        let revisions = await revisions(desired)
        return PlanInput(desired: desired, revisions: revisions, snapshot: snapshot, now: clock.now(),
            inFlight: inFlight, creatingPreloads: creating, backoffUntil: backoff.blocked(now: clock.now()),
            options: options.plan)
    }

    /// Caps each template's creations at its slow-start window (1, 2, 4, ...).
    func limitBySlowStart(_ actions: [Action]) -> [Action] {
        guard options.slowStart else { return actions }
        var used: [String: Int] = [:]
        return actions.filter { action in
            guard action.op == .create else { return true }
            let limit = window[action.template] ?? 1
            let count = used[action.template, default: 0]
            guard count < limit else { return false }
            used[action.template] = count + 1
            return true
        }
    }
}

/// The host as a pass saw it, with the revisions the pass judged it by.
public struct HostView: Sendable {
    public var snapshot: HostSnapshot
    public var revisions: Revisions
    /// When the snapshot was begun (the clock's seconds): everything done before it shows in it.
    public var at: Double
}
