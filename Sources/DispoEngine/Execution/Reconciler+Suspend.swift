package import DispoConfig
package import DispoHost

/// A host suspend (`dispo sleep pre`/`post`): the queues are held at 0 while the host sleeps, then refill.
extension Reconciler {
    /// Records a host suspend (``HostSuspension``), cancels the preload creations in flight (each removes what it
    /// made), and removes every preload the planner then holds (reason `suspend`), pass after pass, until none is
    /// left or `seconds` passed. Named disposables and disposables in use are left alone, and nothing else of the
    /// plan runs. Already suspended: the record is renewed and the same is done.
    package func holdForSuspend(
        _ desired: DesiredState, within seconds: Double
    ) async throws(HostError)
        -> SuspendOutcome
    {
        let start = clock.now()
        let deadline = start + max(0, seconds)
        let before = Self.preloads(in: try await host.snapshot()).union(preloadCreations)
        let record = HostSuspension(now: clock)
        try await host.updateHostMetadata([HostMetadataKey.suspend: record.encoded])
        var left = before
        while true {
            for name in preloadCreations { launched[name]?.cancel() }
            await Deadline.wait(for: preloadJobs, atMost: slice(until: deadline), clock: clock)
            let (snapshot, input, plan) = try await observe(desired)
            left = Self.preloads(in: snapshot).union(preloadCreations)
            // A `post` meanwhile ends the hold: the refill it lets start is not waited out.
            if left.isEmpty || clock.now() >= deadline || input.suspension == nil { break }
            let busy = coordinator.busy
            let removals = (relabels(plan, snapshot: snapshot) + plan.runnable).filter {
                $0.role == .preload && ($0.op == .destroy || $0.op == .relabel) && !busy.contains($0.name ?? "")
            }
            if removals.isEmpty {
                // Left: being handed out (its `used` record follows) or worked on by another process; look again soon.
                do { try await clock.sleep(until: min(deadline, clock.now() + 0.1)) } catch { break }
                continue
            }
            // Bounded too: a host call that hangs must not hold the suspend past its time.
            let batch = Task {
                _ = await self.run(removals, desired: desired, revisions: input.revisions, snapshot: snapshot)
            }
            await Deadline.wait(for: [batch], atMost: slice(until: deadline), clock: clock)
        }
        return SuspendOutcome(
            suspension: record, removed: before.subtracting(left).count, left: left.sorted(),
            seconds: clock.now() - start)
    }

    /// Removes the host suspend record, so that the queues refill (slow start from one, back-offs forgotten: the
    /// creations a suspend cancelled are not failures). Returns whether a record was there, and what it said.
    package func resumeAfterSuspend() async throws(HostError) -> (wasSuspended: Bool, record: HostSuspension?) {
        let snapshot = try await host.snapshot()
        window = [:]
        backoff = options.makeBackoff()
        guard let text = snapshot.metadata[HostMetadataKey.suspend] else { return (false, nil) }
        let remove: [String: String?] = [HostMetadataKey.suspend: nil]
        try await host.updateHostMetadata(remove)
        return (true, HostSuspension(encoded: text))
    }

    /// How long one wait of the hold may take: at most a second, so that a `post` meanwhile or the deadline is seen.
    private func slice(until deadline: Double) -> Double {
        min(1, max(0, deadline - clock.now()))
    }

    /// Names of the preloads being made by launched jobs.
    var preloadCreations: Set<String> {
        Set(launchedActions.filter { $0.value.op == .create && $0.value.role == .preload }.keys)
    }

    /// The launched jobs working on preloads.
    private var preloadJobs: [Task<Void, Never>] {
        launchedActions.filter { $0.value.role == .preload }.compactMap { launched[$0.key] }
    }

    /// dispo's preloads in `snapshot`, in any stage.
    static func preloads(in snapshot: HostSnapshot) -> Set<String> {
        Set(
            snapshot.domains.filter { $0.isOwned && $0.metadata[MetadataKey.role] == Role.preload.rawValue }.map(\.name)
        )
    }
}

/// What holding the queues for a host suspend did.
package struct SuspendOutcome: Sendable, Hashable {
    /// The record written.
    package var suspension: HostSuspension
    /// Preloads removed (paused ones and ones being made).
    package var removed: Int
    /// Preloads still there when the time ran out (empty: all gone).
    package var left: [String]
    package var seconds: Double
}
