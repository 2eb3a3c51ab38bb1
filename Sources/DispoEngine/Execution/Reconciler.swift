public import DispoConfig
public import DispoHost

/// Plans and executes until the host matches the desired state, with bounded concurrency, per-object
/// back-off and slow-start refill. One instance keeps its back-off and slow-start windows across passes; what
/// it shares with the broker (names in flight, creations, the newest view) lives in its ``Coordinator``.
package actor Reconciler {
    let host: any Host
    let clock: any HostClock
    let random: any RandomSource
    let options: ReconcileOptions
    let onEvent: @Sendable (ReconcileEvent) -> Void
    /// Shared with the broker of the same process.
    package nonisolated let coordinator: Coordinator
    var backoff: Backoff
    /// Slow-start window per disposable template.
    var window: [String: Int] = [:]
    /// Background jobs started by ``launch(_:onJobDone:)``, by domain name, with their waves.
    var launched: [String: Task<Void, Never>] = [:]
    var runningWaves: [String: Int] = [:]
    /// The action of each launched job (a host suspend cancels the preload creations among them).
    var launchedActions: [String: Action] = [:]

    package init(
        host: any Host, clock: any HostClock, random: any RandomSource = SystemRandomSource(),
        options: ReconcileOptions = .init(), onEvent: @escaping @Sendable (ReconcileEvent) -> Void = { _ in }
    ) {
        self.host = host
        self.clock = clock
        self.random = random
        self.options = options
        self.onEvent = onEvent
        self.coordinator = Coordinator()
        self.backoff = options.makeBackoff()
    }

    /// The plan for `desired` against the host now, without doing anything (what `diff` shows).
    package func plan(_ desired: DesiredState) async throws(HostError) -> Plan {
        let snapshot = try await host.snapshot()
        return Planner.plan(try await input(desired, snapshot: snapshot))
    }

    /// The plan for `desired` beside the process that holds the host (a one-shot `diff` next to a controller):
    /// its work, `before` as seen just before the snapshot and `after()` just after it, is left alone as in
    /// flight. Returns the plan and the work it left alone.
    package func plan(
        _ desired: DesiredState, beside before: HolderWork, then after: @Sendable () async -> HolderWork
    ) async throws(HostError) -> (plan: Plan, inFlight: [InFlightEntry]) {
        let snapshot = try await host.snapshot()
        let later = await after()
        var input = try await input(desired, snapshot: snapshot)
        let left = input.leave(before, later)
        return (Planner.plan(input), left)
    }

    /// The plan for `desired` with the work in flight it leaves alone: what `GET /v1/plan` serves.
    package func planWithWork(_ desired: DesiredState) async throws(HostError) -> (plan: Plan, inFlight: [InFlightEntry]) {
        let plan = try await plan(desired)
        return (plan, inFlightEntries)
    }

    /// What the jobs and the broker's holds work on now, by name (a name held without a job is a hand-out).
    package var inFlightEntries: [InFlightEntry] {
        coordinator.busy.sorted().map { name in
            guard let action = launchedActions[name] else {
                return InFlightEntry(name: name, op: "hand-out", role: nil, template: nil)
            }
            return InFlightEntry(name: name, op: action.op.rawValue, role: action.role.rawValue, template: action.template)
        }
    }

    /// Re-plans and executes until nothing runnable is left; sleeps through back-offs and refill delays.
    package func converge(_ desired: DesiredState, maxPasses: Int = 1000) async throws(HostError) -> ConvergeOutcome {
        var actionsRun = 0
        var passes = 0
        while true {
            passes += 1
            let (plan, ran) = try await pass(desired)
            actionsRun += ran
            if ran > 0, passes < maxPasses { continue }
            guard passes < maxPasses, let wake = nextWake(plan) else {
                let failures = givenUp
                return ConvergeOutcome(converged: failures.isEmpty && !plan.waits.contains(where: \.isError),
                    failures: failures, plan: plan, actionsRun: actionsRun, passes: passes)
            }
            do { try await clock.sleep(until: wake) } catch { throw HostError(.operationFailed, "cancelled") }
        }
    }

    /// One pass: snapshot, plan, run the runnable actions (relabels first) wave by wave. Returns the plan and how
    /// many actions ran.
    package func pass(_ desired: DesiredState) async throws(HostError) -> (Plan, Int) {
        let (snapshot, input, plan) = try await observe(desired)
        let runnable = admitBySlowStart(relabels(plan, snapshot: snapshot) + plan.runnable)
        var ran = 0
        let waves = Dictionary(grouping: runnable, by: \.wave)
        for wave in waves.keys.sorted() {
            ran += await run(waves[wave] ?? [], desired: desired, revisions: input.revisions, snapshot: snapshot)
        }
        return (plan, ran)
    }

    /// The start of every pass: snapshot, plan, publish the view for the broker, forget expired released dispids.
    func observe(_ desired: DesiredState) async throws(HostError) -> (HostSnapshot, PlanInput, Plan) {
        let takenAt = clock.now()
        let snapshot = try await host.snapshot()
        let input = try await input(desired, snapshot: snapshot)
        let plan = Planner.plan(input)
        coordinator.publish(HostView(snapshot: snapshot, revisions: input.revisions, at: takenAt))
        coordinator.observe(snapshot)
        onEvent(.planned(plan))
        await forgetExpiredReleases(snapshot)
        await forgetIgnoredSuspension(snapshot)
        return (snapshot, input, plan)
    }

    /// A host suspend record that no longer counts (another boot, too old, unreadable) leaves the host metadata,
    /// with a warning; preloads refill.
    private func forgetIgnoredSuspension(_ snapshot: HostSnapshot) async {
        guard case .ignored(let reason) = HostSuspension.judge(snapshot.metadata, clock: clock) else { return }
        // Read again first: a `dispo sleep pre` of another process since the snapshot must not be lost.
        let seen = snapshot.metadata[HostMetadataKey.suspend]
        guard let current = try? await host.snapshot(), current.metadata[HostMetadataKey.suspend] == seen else { return }
        let remove: [String: String?] = [HostMetadataKey.suspend: nil]
        guard (try? await host.updateHostMetadata(remove)) != nil else { return }
        onEvent(.suspensionIgnored(reason: reason))
    }

    /// The plan's adoptions as actions, so that they run as jobs (events, metrics, history) like any other.
    func relabels(_ plan: Plan, snapshot: HostSnapshot) -> [Action] {
        plan.adoptions.compactMap { name in
            guard let domain = snapshot.domain(named: name) else { return nil }
            let role = Role(rawValue: domain.metadata[MetadataKey.role] ?? "") ?? .unnamed
            return Action(.relabel, role, template: domain.metadata[MetadataKey.template] ?? "", name: name,
                reason: .used, wave: 0, detail: "unpaused outside dispo; now a used disposable")
        }
    }

    /// Released dispids older than the reuse window leave the host metadata (they may be drawn again).
    private func forgetExpiredReleases(_ snapshot: HostSnapshot) async {
        let now = clock.wallNow()
        var update: [String: String?] = [:]
        for (dispid, at) in DispidAllocator.released(snapshot.metadata) where now - at >= DispidAllocator.reuseWindow {
            update[HostMetadataKey.releasedPrefix + String(dispid)] = .some(nil)
        }
        guard !update.isEmpty else { return }
        try? await host.updateHostMetadata(update)
    }

    /// When a back-off or refill delay that the plan waits for ends (nil: nothing worth waiting for).
    package func nextWake(_ plan: Plan) -> Double? {
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
    package func revisions(_ desired: DesiredState) async -> Revisions {
        await Revisions.compute(desired, host: host)
    }

    func input(_ desired: DesiredState, snapshot: HostSnapshot) async throws(HostError) -> PlanInput {
        let revisions = await revisions(desired)
        let now = clock.now()
        var uses: [String: Double] = [:]
        for (key, record) in snapshot.metadata where key.hasPrefix(HostMetadataKey.lastUsePrefix) {
            uses[String(key.dropFirst(HostMetadataKey.lastUsePrefix.count))] =
                coordinator.useTime(key: key, record: record, clock: clock)
        }
        return PlanInput(desired: desired, revisions: revisions, snapshot: snapshot, now: now, lastUse: uses,
            inFlight: coordinator.busy, creatingPreloads: coordinator.creating, backoffUntil: backoff.blocked(now: now),
            suspension: HostSuspension.judge(snapshot.metadata, clock: clock).inForce, options: options.plan)
    }

    /// Caps each template's creations at its slow-start window (1, 2, 4, ...), counting those being made now.
    func admitBySlowStart(_ actions: [Action]) -> [Action] {
        guard options.slowStart else { return actions }
        let creating = coordinator.creating
        var room: [String: Int] = [:]
        return actions.filter { action in
            guard action.op == .create else { return true }
            let left = room[action.template] ?? max(0, (window[action.template] ?? 1) - (creating[action.template] ?? 0))
            guard left > 0 else { return false }
            room[action.template] = left - 1
            return true
        }
    }

    /// Objects given up after repeated failures, with their last error.
    package var givenUp: [String: String] {
        Dictionary(uniqueKeysWithValues: backoff.givenUp.map { ($0, backoff.lastError[$0] ?? "") })
    }

    /// Forgets back-offs (a config change or a manual rescan gives failing objects a fresh start).
    package func resetBackoff() {
        backoff = options.makeBackoff()
    }
}

/// The host as a pass saw it, with the revisions the pass judged it by.
package struct HostView: Sendable {
    package var snapshot: HostSnapshot
    package var revisions: Revisions
    /// When the snapshot was begun (monotonic): everything done before it shows in it.
    package var at: Double

    package init(snapshot: HostSnapshot, revisions: Revisions, at: Double) {
        self.snapshot = snapshot
        self.revisions = revisions
        self.at = at
    }
}
