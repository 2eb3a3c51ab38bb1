import DispoConfig
import DispoHost

/// Running one wave of actions with bounded concurrency.
extension Reconciler {
    struct Job: Sendable {
        var action: Action
        var name: String
        var dispid: Int?
        var spec: EffectiveSpec?
        var revision: String
        /// For a relabel: the host-wide record of the use, computed from the pass's snapshot.
        var useRecord: [String: String?]? = nil
    }

    struct JobResult: Sendable {
        var job: Job
        var seconds: Double
        var error: HostError?
        var note: String?
        /// A preload creation's memory shrink.
        var shrink: ShrinkRecord? = nil
    }

    /// Turns actions into jobs: new preloads get a fresh dispid and name.
    func makeJobs(_ actions: [Action], desired: DesiredState, revisions: Revisions, snapshot: HostSnapshot) -> [Job] {
        var jobs: [Job] = []
        var taken = DispidAllocator.inUse(snapshot).union(coordinator.busy.compactMap(DispidAllocator.dispid(inName:)))
        let released = DispidAllocator.released(snapshot.metadata)
        for action in actions {
            switch action.op {
            case .create:
                guard let spec = desired.spec(forDisposableTemplate: action.template),
                    let dispid = DispidAllocator.allocate(inUse: taken, released: released, now: clock.wallNow(),
                        random: random)
                else {
                    backoff.recordFailure(BackoffKey.preload(action.template), now: clock.now(),
                        error: "no free dispid after \(DispidAllocator.draws) draws")
                    continue
                }
                taken.insert(dispid)
                jobs.append(Job(action: action, name: DispidAllocator.name(dispid), dispid: dispid, spec: spec,
                    revision: revisions.disposableTemplates[action.template] ?? ""))
            case .start, .restart:
                guard let name = action.name else { continue }
                jobs.append(Job(action: action, name: name, dispid: nil, spec: desired.spec(forNamedDisposable: name),
                    revision: revisions.namedDisposables[name] ?? ""))
            case .stop, .destroy, .relabel:
                guard let name = action.name else { continue }
                jobs.append(Job(action: action, name: name, dispid: nil, spec: nil, revision: "",
                    useRecord: action.op == .relabel ? useRecord(action.template, desired: desired, snapshot: snapshot) : nil))
            }
        }
        return jobs
    }

    /// Runs actions and waits for all of them (apply's batches).
    func run(_ actions: [Action], desired: DesiredState, revisions: Revisions, snapshot: HostSnapshot) async -> Int {
        let jobs = makeJobs(actions, desired: desired, revisions: revisions, snapshot: snapshot)
        for job in jobs { begin(job) }
        let runner = ActionRunner(host: host, clock: clock, coordinator: coordinator)
        let clock = self.clock
        let limit = options.parallel
        var results: [JobResult] = []
        await withTaskGroup(of: JobResult.self) { group in
            var pending = jobs[...]
            var running = 0
            func launch() {
                while running < limit, let job = pending.popFirst() {
                    running += 1
                    group.addTask { await Self.execute(job, runner: runner, clock: clock) }
                }
            }
            launch()
            while let result = await group.next() {
                running -= 1
                results.append(result)
                if result.error != nil, result.job.action.op == .create, options.slowStart {
                    pending.removeAll { $0.action.op == .create && $0.action.template == result.job.action.template }
                }
                launch()
            }
        }
        for job in jobs where !results.contains(where: { $0.job.name == job.name }) { end(job) }
        for result in results { record(result) }
        return results.count
    }

    func begin(_ job: Job) {
        coordinator.begin(job: job.name, creating: job.action.op == .create ? job.action.template : nil)
        onEvent(.started(job.action, name: job.name))
    }

    private func end(_ job: Job, succeeded: Bool = false) {
        coordinator.end(job: job.name, creating: job.action.op == .create ? job.action.template : nil, at: clock.now(),
            succeeded: succeeded)
    }

    /// The use a relabel records (the planner counts a preload relabelled used as a use now).
    private func useRecord(_ template: String, desired: DesiredState, snapshot: HostSnapshot) -> [String: String?] {
        let delay = desired.disposableTemplates[template]?.preload.delay
        return UseRecord.update(template: template, snapshot: snapshot, taking: nil, delay: delay,
            at: coordinator.stamp(clock))
    }

    func record(_ result: JobResult) {
        end(result.job, succeeded: result.error == nil)
        let action = result.job.action
        let key = action.role == .named ? BackoffKey.named(action.name ?? result.job.name) : BackoffKey.preload(action.template)
        if let error = result.error {
            onEvent(.failed(action, name: result.job.name, seconds: result.seconds, error: error))
            if action.op == .create || action.op == .start || action.op == .restart {
                backoff.recordFailure(key, now: clock.now(), error: error.description)
                window[action.template] = 1
            }
            return
        }
        if let shrink = result.shrink { onEvent(.shrunk(action, name: result.job.name, shrink)) }
        onEvent(.finished(action, name: result.job.name, seconds: result.seconds, note: result.note))
        if action.op == .create {
            backoff.recordSuccess(key)
            window[action.template] = min((window[action.template] ?? 1) * 2, 64)
        } else if action.op == .start || action.op == .restart {
            backoff.recordSuccess(key)
        }
    }

    static func execute(_ job: Job, runner: ActionRunner, clock: any HostClock) async -> JobResult {
        let start = clock.now()
        var note: String?
        var shrink: ShrinkRecord?
        do throws(HostError) {
            switch job.action.op {
            case .create:
                guard let spec = job.spec, let dispid = job.dispid else { throw HostError(.invalidState, "no spec") }
                let record = try await runner.createPreload(
                    name: job.name, dispid: dispid, spec: spec, revision: job.revision)
                shrink = record
                note = record.summary
            case .start:
                guard let spec = job.spec else { throw HostError(.invalidState, domain: job.name, "no spec") }
                try await runner.startNamed(name: job.name, spec: spec, revision: job.revision)
            case .restart:
                guard let spec = job.spec else { throw HostError(.invalidState, domain: job.name, "no spec") }
                try await runner.stop(name: job.name)
                try await runner.startNamed(name: job.name, spec: spec, revision: job.revision)
            case .stop:
                try await runner.stop(name: job.name)
            case .destroy:
                try await runner.destroy(name: job.name)
            case .relabel:
                try await runner.markUsed(job.name, useRecord: job.useRecord ?? [:])
            }
        } catch {
            return JobResult(job: job, seconds: clock.now() - start, error: error, note: nil)
        }
        return JobResult(job: job, seconds: clock.now() - start, error: nil, note: note, shrink: shrink)
    }
}
