public import DispoConfig
public import DispoDaemon
public import DispoEngine
public import DispoQubes
import Foundation
public import Logging
import Synchronization

/// The controller of `dispo watch --host qubes`: the Qubes reconcile path of `apply` (``QubesReconciler``) in a
/// level-based loop, woken by config cues, by qubesd's events that may be drift (``QubesEventFilter``), by
/// SIGHUP and by a periodic resync. Triggers collapse: a burst is one pass. qubesd keeps the preload queues and
/// hands them out, so a pass only brings properties, features, tags and power states back to the config; it
/// never restarts a running named disposable (that stays `apply --restart`'s). The last good config stays in force
/// when an edit is invalid; an empty config removes nothing unless allowed.
public actor QubesController {
    let client: AdminClient
    let source: any ConfigSource
    let options: QubesControllerOptions
    let logger: Logger
    /// How dispo names the host (`qubes`, `qubes:/path/qubesd.sock`): the daemon identity's and status' host.
    public nonisolated let location: String
    package nonisolated let metrics = DispoMetrics()
    nonisolated let log = EventLog()
    nonisolated let notifier: ServiceNotifier
    private var announcer: ServiceAnnouncer
    private let wakeStream: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation
    private let flags = Mutex(Flags())
    private let stoppingFlag = Atomic<Bool>(false)
    /// Which of qubesd's events wake the loop; follows the config in force and dispo's index.
    private let filter = Mutex(QubesEventFilter(watched: [], properties: []))

    /// The config in force: the last one that loaded without errors.
    public private(set) var desired: DesiredState?
    /// Errors of the newest load, when it failed.
    public private(set) var configErrors: [Diagnostic] = []
    public private(set) var history: [StatusReport.HistoryEntry] = []
    public private(set) var passes = 0
    private var configDigest: String?
    /// Digest of the config the last pass left qubesd fully in line with.
    private var observedDigest: String?
    private var failuresInRow = 0
    private var retryTask: Task<Void, Never>?
    private var warnedEmpty = false

    struct Flags {
        var reload = true
        var pass = false
    }

    /// True once a graceful stop began: new requests are refused (503).
    public nonisolated var isStopping: Bool { stoppingFlag.load(ordering: .acquiring) }

    public init(
        client: AdminClient, location: String, source: any ConfigSource, options: QubesControllerOptions = .init(),
        logger: Logger, notifier: ServiceNotifier = .disabled
    ) {
        self.client = client
        self.location = location
        self.source = source
        self.options = options
        self.logger = logger
        self.notifier = notifier
        self.announcer = ServiceAnnouncer(notifier: notifier)
        (wakeStream, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Wakes the loop (from any thread); bursts collapse into one pass. A rescan or config change reloads first.
    public nonisolated func trigger(_ trigger: Trigger) {
        switch trigger {
        case .configChanged:
            flags.withLock {
                $0.reload = true
                $0.pass = true
            }
        case .rescan:
            notifier.send(.reloading(monotonicMicroseconds: ServiceNotifier.monotonicMicroseconds()))
            logger.notice("rescan requested")
            flags.withLock {
                $0.reload = true
                $0.pass = true
            }
        case .watchdog:
            return
        default:
            flags.withLock { $0.pass = true }
        }
        wakeContinuation.yield()
    }

    /// True when `event` from qubesd may be drift of what the config in force keeps.
    nonisolated func isRelevant(_ event: AdminEvent) -> Bool {
        filter.withLock { $0.isRelevant(event) }
    }

    /// Runs passes until ``stop()``: the first at once, then on every trigger and at least every resync.
    public func run() async {
        trigger(.timer)
        let cues = source.changes()
        let following = Task { [logger] in
            for await cue in cues {
                logger.debug("config changed", metadata: ["cue": "\(cue.detail)"])
                self.trigger(.configChanged)
            }
        }
        let resync = Task { [options] in
            while !Task.isCancelled {
                do { try await Task.sleep(for: .milliseconds(Int64(options.resync * 1000))) } catch { return }
                self.trigger(.timer)
            }
        }
        for await _ in wakeStream {
            if isStopping || Task.isCancelled { break }
            let wanted = flags.withLock { flags -> Bool in
                defer { flags.pass = false }
                return flags.pass
            }
            if wanted { await pass() }
        }
        resync.cancel()
        following.cancel()
        retryTask?.cancel()
        log.finish()
        logger.info("controller stopped", metadata: ["passes": .stringConvertible(passes)])
    }

    /// Ends the loop after the current pass (graceful shutdown); tells systemd `STOPPING=1`.
    public func stop() {
        if !isStopping { announcer.stopping("stopping: letting the pass in progress finish") }
        stoppingFlag.store(true, ordering: .releasing)
        wakeContinuation.finish()
    }

    /// One pass: reload if asked, then read, plan and run until in line (or the rounds are used up).
    func pass() async {
        let reload = flags.withLock { flags -> Bool in
            defer { flags.reload = false }
            return flags.reload
        }
        if reload { await reloadConfig() }
        guard let desired else {
            announce(status: nil, failing: 0, blocked: 0)
            return
        }
        if desired.count == 0, !options.allowEmpty {
            if !warnedEmpty {
                logger.warning(
                    "the config is empty; removing nothing (dispo watch --allow-empty removes what dispo made)")
                warnedEmpty = true
            }
            announce(status: nil, failing: 0, blocked: 1)
            return
        }
        warnedEmpty = false
        passes += 1
        var reconciler = QubesReconciler(client: client)
        reconciler.maxPasses = options.roundsPerPass
        let started = ContinuousClock.now
        let startedWall = Date().timeIntervalSince1970
        let outcome: QubesExecutor.Outcome
        do {
            outcome = try await reconciler.converge(desired) { [logger, log, metrics] change, error in
                Self.record(change, error, logger: logger, log: log, metrics: metrics)
            }
        } catch {
            logger.error("cannot read qubesd; retrying", metadata: ["error": "\(error)"])
            retry()
            announce(status: nil, failing: 1, blocked: 0)
            return
        }
        let seconds = Self.seconds(since: started)
        let plan = outcome.plan
        filter.withLock { $0 = QubesEventFilter(desired: desired, index: outcome.observed.index.union(plan.index)) }
        if outcome.changesRun > 0 || !outcome.failures.isEmpty {
            finishCycle(at: startedWall, seconds: seconds, actions: outcome.changesRun, errors: outcome.failures.count)
        }
        for problem in plan.problems { logger.error("\(problem)") }
        if outcome.converged {
            if observedDigest != configDigest {
                logger.info("in line with the config", metadata: ["revision": "\(configDigest ?? "")"])
            }
            observedDigest = configDigest
        }
        if !outcome.failures.isEmpty || !plan.runnable.isEmpty {
            retry()
        } else {
            failuresInRow = 0
        }
        let status = QubesStatus.make(
            desired: desired, configErrors: [], observed: outcome.observed, plan: plan, location: location,
            disposableTemplates: [:])
        metrics.updateQueues(
            status.templates.map { ($0.name, $0.preload.ready, $0.preload.max) }, configErrors: configErrors.count)
        announce(status: status, failing: outcome.failures.count, blocked: plan.problems.count)
    }

    /// A pass left work undone: the next one comes after a back-off (doubling up to the resync period).
    private func retry() {
        failuresInRow += 1
        let delay = options.retryDelay(afterFailures: failuresInRow)
        retryTask?.cancel()
        retryTask = Task {
            do { try await Task.sleep(for: .milliseconds(Int64(delay * 1000))) } catch { return }
            self.trigger(.timer)
        }
    }

    /// Records a stretch of work that changed something: the history, its metric and a `reconciled` event.
    private func finishCycle(at wall: Double, seconds: Double, actions: Int, errors: Int) {
        let entry = StatusReport.HistoryEntry(
            at: ISOTime.format(wall), seconds: (seconds * 1000).rounded() / 1000, actions: actions, errors: errors)
        history.append(entry)
        if history.count > 50 { history.removeFirst(history.count - 50) }
        metrics.recordReconcile(seconds: seconds)
        logger.info(
            "reconciled",
            metadata: [
                "actions": .stringConvertible(actions), "errors": .stringConvertible(errors),
                "seconds": .stringConvertible(entry.seconds),
            ])
        var event = ControllerEvent(.reconciled)
        event.actions = actions
        event.errors = errors
        event.seconds = entry.seconds
        log.append(event)
    }

    /// One change run (or failed): logged, counted in `dispo_actions_total`, and a `done`/`failed` event.
    nonisolated static func record(
        _ change: QubesChange, _ error: QubesError?, logger: Logger, log: EventLog, metrics: DispoMetrics
    ) {
        metrics.recordAction(change.op, ok: error == nil)
        var event = ControllerEvent(error == nil ? .done : .failed, object: change.qube)
        event.action = change.op
        event.role = change.role.rawValue
        event.reason = change.reason
        event.detail = change.detail
        var metadata: Logger.Metadata = [
            "object": "\(change.qube)", "action": "\(change.op)", "reason": "\(change.reason)",
            "detail": "\(change.detail)",
        ]
        if let error {
            event.error = error.description
            metadata["error"] = "\(error)"
            logger.error("failed", metadata: metadata)
        } else {
            logger.info("done", metadata: metadata)
        }
        log.append(event)
    }

    private func announce(status: QubesStatus?, failing: Int, blocked: Int) {
        let templates = (status?.templates ?? []).map { StatusReport.TemplatePart(name: $0.name, preload: $0.preload) }
        let line = ServiceStatus.line(
            templates: templates, named: status?.named ?? [], configErrors: configErrors.count, failing: failing,
            blocked: blocked, inForce: desired != nil)
        announcer.passDone(status: line)
    }

    /// Loads through the source (off this actor) and installs a valid load; an invalid one keeps the last good
    /// config in force and is reported.
    func reloadConfig() async {
        let load = await Self.load(from: source)
        if load.isValid {
            if !configErrors.isEmpty {
                logger.notice("config valid again", metadata: ["objects": .stringConvertible(load.state.count)])
                log.append(ControllerEvent(.configValidAgain))
            }
            if load.digest != configDigest {
                logger.info(
                    "config loaded",
                    metadata: [
                        "objects": .stringConvertible(load.state.count), "revision": "\(load.digest)",
                    ])
                var event = ConfigChanges(from: desired, to: load.state).event
                event.revision = load.digest
                event.objects = load.state.count
                log.append(event)
            }
            for warning in load.diagnostics { logger.warning("\(warning.description)") }
            desired = load.state
            configDigest = load.digest
            configErrors = []
            failuresInRow = 0
            filter.withLock { filter in
                filter = QubesEventFilter(desired: load.state, index: filter.watched)
            }
        } else {
            let (errors, event) = load.reportInvalid(inForce: desired != nil, logger: logger)
            configErrors = errors
            log.append(event)
        }
    }

    @concurrent
    private nonisolated static func load(from source: any ConfigSource) async -> ConfigLoad {
        await source.load()
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// The config errors as status prints them: `PATH:LINE:COLUMN: MESSAGE`.
    var configErrorLines: [String] {
        configErrors.map { "\($0.path):\($0.line):\($0.column): \($0.message)" }
    }

    /// Digest of the config in force, and of the one qubesd was last left in line with.
    var digests: (inForce: String?, observed: String?) { (configDigest, observedDigest) }
}
