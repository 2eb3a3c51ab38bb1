import DispoConfig
public import DispoEngine
public import DispoHost

/// What the socket API serves: the status and the plan, from the config in force.
extension Controller {
    public func status() async throws(HostError) -> StatusReport {
        let snapshot = try await host.snapshot()
        return report(snapshot: snapshot, revisions: await reconciler.revisions(desired ?? .init()))
    }

    /// The status as `snapshot` shows it, judged by `revisions`.
    func report(snapshot: HostSnapshot, revisions: Revisions) -> StatusReport {
        let state = desired ?? .init()
        return StatusReport.make(
            desired: state, configErrors: configErrors.map(\.description), revisions: revisions, snapshot: snapshot,
            backend: host.backend, location: host.location, history: history)
    }

    /// A fresh plan (what `diff` would show against the running controller's config).
    public func currentPlan() async throws(HostError) -> Plan {
        try await reconciler.plan(desired ?? .init())
    }
}
