public import DispoConfig
public import DispoEngine
public import DispoHost
public import Logging
import Synchronization

/// The reconcile loop of `dispo watch`: level-based, one pass at a time, woken by triggers that collapse
/// (a burst of changes is one pass). It keeps the last good config when an edit is invalid, and never
/// lets an empty config remove anything unless allowed (the planner's guard).
public actor Controller {
    let host: any Host
    let clock: any HostClock
    /// Where the config comes from; loads run off this actor.
    let source: any ConfigSource
    let options: ControllerOptions
    let logger: Logger
    package let reconciler: Reconciler
    /// How its broker hands out: ``Broker/Strategy/leaseOwner`` once the ``ControllerLease`` is written.
    private var strategy = Broker.Strategy.standalone
    let random: any RandomSource
    nonisolated let activity: Activity
    private let wakeStream: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation
    private let flags = Mutex(Flags())
    /// Reloads begun, and the number of the newest one installed: a load that ends after a newer one is dropped.
    private var loadsBegun = 0
    private var newestInstalled = 0

    /// The config in force: the last one that loaded without errors.
    public private(set) var desired: DesiredState?
    /// Errors of the newest load, when it failed (the last good config stays in force).
    public private(set) var configErrors: [Diagnostic] = []
    public private(set) var lastPlan: Plan?
    public private(set) var history: [StatusReport.HistoryEntry] = []
    public private(set) var passes = 0
    private var cycle: Cycle?
    private var configDigest: String?
    /// The source's revision of the config in force when it is not the digest (a git source's commit).
    public private(set) var configCommit: String?
    private var observedDigest: String?
    private var wakeTask: Task<Void, Never>?
    /// Read without the actor, so that `GET /v1/ping` never waits for a pass or a load in progress.
    private let stoppingFlag = Atomic<Bool>(false)
    private var stopping: Bool { stoppingFlag.load(ordering: .acquiring) }
    /// Hand-outs in progress; passes wait for them (at most ``passDeferral``) so that a hand-out does not share
    /// the host with a snapshot its own claim set off. The hand-out triggers a pass when it ends.
    var handOuts = 0
    private var deferredSince: Double?
    static let passDeferral = 0.25
    /// Tells systemd (`Type=notify`) when the controller is ready, reloading or stopping, and how it stands.
    nonisolated let notifier: ServiceNotifier
    private var announcer: ServiceAnnouncer

    /// Hands disposables out, sharing the reconciler's coordinator.
    var broker: Broker {
        Broker(host: host, clock: clock, random: random, coordinator: reconciler.coordinator, strategy: strategy)
    }

    /// True once a graceful stop began: new requests are refused (503).
    public nonisolated var isStopping: Bool { stoppingFlag.load(ordering: .acquiring) }

    struct Flags {
        var reload = true
        var resetBackoff = false
        /// A wake-up that asks for a pass (every trigger but the watchdog's).
        var pass = false
        /// The watchdog's period ended: ping once the loop comes round.
        var ping = false
    }

    /// Work since the controller was last idle, for the history.
    struct Cycle {
        /// Monotonic, for its length.
        var startedAt: Double
        /// Wall clock, for the history.
        var startedWall: Double
        var finishedBefore: Int
        var failedBefore: Int
    }

    public init(
        host: any Host, clock: any HostClock = SystemClock(), random: any RandomSource = SystemRandomSource(),
        options: ControllerOptions = .init(), logger: Logger, source: any ConfigSource,
        notifier: ServiceNotifier = .disabled
    ) {
        self.notifier = notifier
        self.announcer = ServiceAnnouncer(notifier: notifier)
        self.host = host
        self.clock = clock
        self.options = options
        self.logger = logger
        self.source = source
        let activity = Activity(logger: logger)
        self.activity = activity
        let reconciler = Reconciler(host: host, clock: clock, random: random, options: options.reconcile,
            onEvent: { event in activity.record(event, logger: logger) })
        self.reconciler = reconciler
        self.random = random
        (wakeStream, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Wakes the loop (from any thread); bursts collapse into one pass. A rescan tells systemd `RELOADING=1`
    /// at once; the pass that performs it says `READY=1`.
    public nonisolated func trigger(_ trigger: Trigger) {
        switch trigger {
        case .configChanged: flags.withLock { $0.reload = true; $0.pass = true }
        case .rescan:
            notifier.send(.reloading(monotonicMicroseconds: ServiceNotifier.monotonicMicroseconds()))
            flags.withLock { $0.reload = true; $0.resetBackoff = true; $0.pass = true }
            logger.notice("rescan requested")
        case .watchdog: flags.withLock { $0.ping = true }
        default: flags.withLock { $0.pass = true }
        }
        wakeContinuation.yield()
    }

    /// Runs passes until ``stop()``; then lets jobs in flight finish (bounded by the drain timeout).
    public func run() async {
        await takeLease()
        await restoreHistory()
        trigger(.timer)
        let cues = followConfigCues()
        let resync = Task { [clock, options] in
            while !Task.isCancelled {
                do { try await clock.sleep(seconds: options.resync) } catch { return }
                self.trigger(.timer)
            }
        }
        // The watchdog is pinged from this loop, after the pass a wake-up asked for: a pass that never ends (a host
        // call that hangs) stops the pings, and systemd restarts the controller.
        let watchdog = options.watchdog.map { watchdog in
            Task { [clock] in
                while !Task.isCancelled {
                    do { try await clock.sleep(seconds: watchdog.pingPeriod) } catch { return }
                    self.trigger(.watchdog)
                }
            }
        }
        for await _ in wakeStream {
            if stopping || Task.isCancelled { break }
            let (wanted, ping) = flags.withLock { flags -> (Bool, Bool) in
                defer { flags.pass = false; flags.ping = false }
                return (flags.pass, flags.ping)
            }
            if wanted { await pass() }
            if ping { notifier.send(.watchdog) }
        }
        watchdog?.cancel()
        resync.cancel()
        cues.cancel()
        wakeTask?.cancel()
        let left = await reconciler.drain(within: options.drainTimeout)
        if left > 0 {
            logger.warning("stopping with jobs still running", metadata: ["jobs": .stringConvertible(left)])
        }
        // Hand-outs answered already still write their used record: a stop never drops one.
        await reconciler.coordinator.settle()
        await dropLease()
        activity.events.finish()
        logger.info("controller stopped", metadata: ["passes": .stringConvertible(passes)])
    }

    /// Writes the ``ControllerLease``: from then on this controller owns the preload queues and hands them out
    /// without a durable claim. Without it (the host refused the write) every hand-out claims first.
    private func takeLease() async {
        do {
            try await host.updateHostMetadata([HostMetadataKey.controller: ControllerLease.mine])
            strategy = .leaseOwner
        } catch {
            logger.warning("cannot record this controller in the host metadata; every hand-out claims first",
                metadata: ["error": "\(error)"])
        }
    }

    /// Takes up the history an earlier controller kept on the host.
    private func restoreHistory() async {
        guard let snapshot = try? await host.snapshot(), let text = snapshot.metadata[HostMetadataKey.history] else {
            return
        }
        history = HistoryRecord.decode(text) + history
    }

    /// Keeps the history on the host, so that it survives a restart.
    private func saveHistory() async {
        do {
            try await host.updateHostMetadata([HostMetadataKey.history: HistoryRecord.encode(history)])
        } catch {
            logger.warning("cannot keep the reconcile history on the host", metadata: ["error": "\(error)"])
        }
    }

    /// What the controller does from now on (and the kept events after `since`), for `GET /v1/events`.
    package nonisolated func events(since: Int? = nil) -> AsyncStream<ControllerEvent> {
        activity.events.subscribe(since: since)
    }

    /// The kept events after `since`, waiting up to `timeout` for one (the long poll of `GET /v1/events?wait=`),
    /// and the number of the newest event.
    package nonisolated func events(after since: Int, waiting timeout: Duration) async -> (events: [ControllerEvent], last: Int) {
        let events = await activity.events.events(after: since, waiting: timeout)
        return (events, events.last?.seq ?? activity.events.last)
    }

    /// Removes the lease when it is still this process's.
    private func dropLease() async {
        guard let snapshot = try? await host.snapshot(),
            snapshot.metadata[HostMetadataKey.controller] == ControllerLease.mine
        else { return }
        let remove: [String: String?] = [HostMetadataKey.controller: nil]
        try? await host.updateHostMetadata(remove)
    }

    /// Ends the loop after the current pass (graceful shutdown); tells systemd `STOPPING=1`.
    public func stop() {
        if !stopping { announcer.stopping("stopping: letting jobs in flight finish") }
        stoppingFlag.store(true, ordering: .releasing)
        wakeContinuation.finish()
    }

    /// One pass: reload if asked, plan, start what may start, schedule the next wake-up.
    func pass() async {
        // Reload first: hand-outs go on while the source loads, and the deferral below then sees them.
        let (reload, reset) = flags.withLock { flags -> (Bool, Bool) in
            defer { flags.reload = false; flags.resetBackoff = false }
            return (flags.reload, flags.resetBackoff)
        }
        if reset { announcer.rescanBegan() }
        if reload { await reloadConfig() }
        if reset { await reconciler.resetBackoff() }
        if handOuts > 0 {
            let since = deferredSince ?? clock.now()
            deferredSince = since
            if clock.now() - since < Self.passDeferral {
                schedule(at: since + Self.passDeferral)
                return
            }
        }
        deferredSince = nil
        guard let desired else {
            announcer.passDone(status: ServiceStatus.line(templates: [], named: [], configErrors: configErrors.count,
                plan: nil, inForce: false))
            return
        }
        passes += 1
        let result: LaunchResult
        do {
            result = try await reconciler.launch(desired) { [weak self] in self?.trigger(.jobDone) }
        } catch {
            logger.error("cannot read the host; retrying", metadata: ["error": "\(error)"])
            schedule(at: clock.now() + 5)
            return
        }
        lastPlan = result.plan
        await trackCycle(result)
        var status: StatusReport?
        if let view = reconciler.coordinator.lastView {
            status = await report(snapshot: view.snapshot, revisions: view.revisions)
            if let status { activity.metrics.update(from: status) }
        }
        announcer.passDone(status: status.map { ServiceStatus.line(report: $0, plan: result.plan) }
            ?? ServiceStatus.line(templates: [], named: [], configErrors: configErrors.count, plan: result.plan,
                inForce: true))
        if let wake = await reconciler.nextWake(result.plan) { schedule(at: wake) }
    }

    /// Loads through the source off this actor, then installs the outcome, unless a reload begun later was
    /// installed meanwhile. Every change to the controller's state happens before the one await at the end, so
    /// two reloads never interleave their installs.
    func reloadConfig() async {
        loadsBegun += 1
        let number = loadsBegun
        let reload = await Self.load(from: source, over: desired, baseDigest: configDigest)
        let load = reload.load
        guard number > newestInstalled else {
            logger.debug("dropping a config load that ended after a newer one",
                metadata: ["revision": "\(load.revision)"])
            return
        }
        newestInstalled = number
        if load.isValid {
            if !configErrors.isEmpty {
                logger.notice("config valid again", metadata: ["objects": .stringConvertible(load.state.count)])
                activity.events.append(ControllerEvent(.configValidAgain))
            }
            let digest = load.digest
            let changed = digest != configDigest
            if changed {
                var metadata: Logger.Metadata = [
                    "objects": .stringConvertible(load.state.count), "revision": "\(digest)",
                ]
                if load.revision != digest { metadata["source_revision"] = "\(load.revision)" }
                logger.info("config loaded", metadata: metadata)
                let changes = reload.baseDigest == configDigest ? reload.changes : nil
                var event = (changes ?? ConfigChanges(from: desired, to: load.state)).event
                event.revision = digest
                event.objects = load.state.count
                activity.events.append(event)
            }
            for warning in load.diagnostics { logger.warning("\(warning.description)") }
            let first = configDigest == nil
            desired = load.state
            configDigest = digest
            configCommit = load.revision != digest ? load.revision : nil
            configErrors = []
            if changed && !first { await reconciler.resetBackoff() }
        } else {
            let (errors, event) = load.reportInvalid(inForce: desired != nil, logger: logger)
            configErrors = errors
            activity.events.append(event)
        }
    }

    /// Records a history entry when a stretch of work ends, and the reconciled config when all is done.
    private func trackCycle(_ result: LaunchResult) async {
        let (finished, failed) = activity.counts
        if result.started > 0 || result.inFlight > 0 {
            if cycle == nil { cycle = Cycle(startedAt: clock.now(), startedWall: clock.wallNow(), finishedBefore: finished, failedBefore: failed) }
            return
        }
        if let open = cycle {
            cycle = nil
            let entry = StatusReport.HistoryEntry(
                at: ISOTime.format(open.startedWall), seconds: ((clock.now() - open.startedAt) * 1000).rounded() / 1000,
                actions: finished - open.finishedBefore + failed - open.failedBefore, errors: failed - open.failedBefore,
                revision: configCommit)
            history.append(entry)
            if history.count > HistoryRecord.limit { history.removeFirst(history.count - HistoryRecord.limit) }
            logger.info("reconciled", metadata: [
                "actions": .stringConvertible(entry.actions), "errors": .stringConvertible(entry.errors),
                "seconds": .stringConvertible(entry.seconds),
            ])
            var event = ControllerEvent(.reconciled)
            event.actions = entry.actions
            event.errors = entry.errors
            event.seconds = entry.seconds
            activity.events.append(event)
            await saveHistory()
        }
        guard let configDigest, configDigest != observedDigest, result.plan.runnable.isEmpty,
            !result.plan.waits.contains(where: \.isError), await reconciler.givenUp.isEmpty
        else { return }
        do {
            try await host.updateHostMetadata([HostMetadataKey.observedConfig: configDigest])
            observedDigest = configDigest
        } catch {
            logger.warning("cannot record the reconciled config", metadata: ["error": "\(error)"])
        }
    }

    private func schedule(at time: Double) {
        wakeTask?.cancel()
        wakeTask = Task { [clock] in
            do { try await clock.sleep(until: time) } catch { return }
            self.trigger(.timer)
        }
    }
}
