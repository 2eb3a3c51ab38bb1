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
}
