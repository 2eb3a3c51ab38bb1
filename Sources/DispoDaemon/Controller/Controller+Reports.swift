import DispoConfig
public import DispoEngine
public import DispoHost

/// What the socket API serves: the status and the plan, from the config in force.
extension Controller {
    public func status() async throws(HostError) -> StatusReport {
        let snapshot = try await host.snapshot()
        return await report(snapshot: snapshot, revisions: await reconciler.revisions(desired ?? .init()))
    }

    /// The status as `snapshot` shows it, judged by `revisions`; built off the controller's actor, so that a
    /// request arriving meanwhile does not wait for it.
    func report(snapshot: HostSnapshot, revisions: Revisions) async -> StatusReport {
        let sourceStatus = await source.status()
        return await Self.build(
            desired: desired ?? .init(), configErrors: configErrors, revisions: revisions,
            snapshot: snapshot, backend: host.backend, location: host.location, history: history,
            commit: configCommit, sourceStatus: sourceStatus,
            suspend: StatusReport.SuspendPart(snapshot.metadata, clock: clock))
    }

    @concurrent
    private nonisolated static func build(
        desired: DesiredState, configErrors: [Diagnostic], revisions: Revisions, snapshot: HostSnapshot, backend: String,
        location: String, history: [StatusReport.HistoryEntry], commit: String?, sourceStatus: SourceStatus?,
        suspend: StatusReport.SuspendPart?
    ) async -> StatusReport {
        StatusReport.make(
            desired: desired, configErrors: configErrors, revisions: revisions, snapshot: snapshot, backend: backend,
            location: location, history: history, commit: commit, source: sourceStatus, suspend: suspend)
    }

    /// A fresh plan (what `diff` would show against the running controller's config).
    package func currentPlan() async throws(HostError) -> Plan {
        try await reconciler.plan(desired ?? .init())
    }

    /// What `GET /v1/plan` serves: a fresh plan of the config in force, what is in flight (which it leaves alone),
    /// and `source` naming this controller and the config's digest.
    package func livePlan(servedBy served: StatusReport.SourcePart) async throws(HostError) -> DiffReport {
        let config = desired ?? .init()
        let (plan, inFlight) = try await reconciler.planWithWork(config)
        let revision = Digest.config(config)
        let source = DiffReport.SourcePart(
            kind: "controller", revision: revision, inForce: revision, pid: served.pid, socket: served.socket)
        return DiffReport(plan, source: source, inFlight: inFlight)
    }
}
