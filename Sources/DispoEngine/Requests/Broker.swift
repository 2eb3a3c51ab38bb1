public import DispoConfig
public import DispoHost
import struct Foundation.Date

/// Hands out disposables: the oldest ready, up-to-date preload when there is one (claimed durably before it is
/// touched, except by the controller that owns the queues), else one still starting (awaited up to 1.2x its
/// ready timeout), else a cold one. A request never fails because the queue is empty and never hands out one
/// domain twice.
public struct Broker: Sendable {
    let host: any Host
    let clock: any HostClock
    let random: any RandomSource
    /// The controller's reconciler, when a daemon runs: it holds what the broker works on, and its
    /// in-flight creations may be awaited.
    let reconciler: Reconciler?
    /// How often to look for a preload that is still starting.
    let pollInterval: Double
    /// True in the controller that holds the ``ControllerLease``: it hands its preloads out without a durable
    /// claim (its reconciler's holds keep its own requests apart, and no other process takes them).
    let ownsQueues: Bool

    public init(
        host: any Host, clock: any HostClock, random: any RandomSource = SystemRandomSource(),
        reconciler: Reconciler? = nil, ownsQueues: Bool = false, pollInterval: Double = 0.02
    ) {
        self.host = host
        self.clock = clock
        self.random = random
        self.reconciler = reconciler
        self.ownsQueues = ownsQueues && reconciler != nil
        self.pollInterval = pollInterval
    }

    /// Resolves `target` and hands out a disposable of it.
    ///
    /// In the daemon the candidates come from the newest pass's view of the host, without those in flight or handed
    /// out since it was taken (no host read before the hand-out); when that view has none, the host is read again.
    /// Outside the controller that owns the queues, a live controller's preloads are refused.
    public func request(_ target: RequestTarget, source: String?, desired: DesiredState) async throws(RequestError)
        -> Handout
    {
        let start = clock.now()
        var view = try await currentView(desired, cached: true)
        let template: String
        do {
            template = try target.resolve(in: desired, source: source, snapshot: view.snapshot)
        } catch {
            guard view.cached else { throw error }
            view = try await currentView(desired, cached: false)
            template = try target.resolve(in: desired, source: source, snapshot: view.snapshot)
        }
        guard let spec = desired.spec(forDisposableTemplate: template) else {
            throw RequestError(.notFound, "disposable template \(template) has no template")
        }
        if !ownsQueues, let holder = ControllerLease.liveHolder(in: view.snapshot.metadata) {
            throw RequestError(.unavailable,
                "the dispo controller (pid \(holder)) owns the preload queues of this host; ask it through its socket "
                    + "(dispo request --socket PATH, or DISPO_SOCKET)")
        }
        if let handout = try await takePreload(template, view: view, desired: desired, start: start) {
            return handout
        }
        if view.cached {
            view = try await currentView(desired, cached: false)
            if let handout = try await takePreload(template, view: view, desired: desired, start: start) {
                return handout
            }
        }
        let revision = await view.revision(of: template, in: desired, host: host)
        if let reconciler, await reconciler.creatingCount(template) > 0 {
            let timeout = (spec.ready?.timeout ?? Readiness.defaultTimeout).seconds * 1.2
            let deadline = clock.now() + timeout
            while clock.now() < deadline, await reconciler.creatingCount(template) > 0 {
                do { try await clock.sleep(until: clock.now() + pollInterval) } catch { break }
                let now = clock.now()
                let current = try await hostCall { () throws(HostError) in try await host.snapshot() }
                let fresh = View(snapshot: current, revisions: view.revisions, cached: false,
                    unavailable: await reconciler.unavailable(since: now))
                if let handout = try await takePreload(template, view: fresh, desired: desired, start: start) {
                    return handout
                }
            }
        }
        return try await coldStart(template, spec: spec, revision: revision, start: start)
    }

    /// Claims the oldest ready, up-to-date preload of `view` and hands it out (``Host/handOut(_:)``: claim, unpause,
    /// mark used); nil when none is left. Outdated ones met on the way are destroyed (the refill replaces them);
    /// one found running (unpaused behind dispo's back) is someone's: it is marked used and skipped.
    func takePreload(_ template: String, view: View, desired: DesiredState, start: Double)
        async throws(RequestError) -> Handout?
    {
        let busy = view.unavailable
        let snapshot = view.snapshot
        let queue = snapshot.domains.filter {
            $0.isOwned && $0.metadata[MetadataKey.role] == Role.preload.rawValue
                && $0.metadata[MetadataKey.template] == template && $0.metadata[MetadataKey.stage] == Stage.paused.rawValue
                && $0.power == .paused && !busy.contains($0.name)
        }.sorted {
            (Double($0.metadata[MetadataKey.created] ?? "") ?? 0, $0.domid) < (Double($1.metadata[MetadataKey.created] ?? "") ?? 0, $1.domid)
        }
        guard !queue.isEmpty else { return nil }
        let revision = await view.revision(of: template, in: desired, host: host)
        let useRecord = ActionRunner.useRecord(template: template, snapshot: snapshot, now: clock.now())
        for domain in queue {
            guard domain.metadata[MetadataKey.revision] == revision else {
                await discard(domain.name)
                continue
            }
            if let reconciler, await !reconciler.hold(domain.name) { continue }
            let outcome: HandOutOutcome
            do {
                outcome = try await host.handOut(handOutRequest(domain, useRecord: useRecord))
            } catch {
                await discard(domain.name)
                await unhold(domain.name)
                continue
            }
            switch outcome {
            case .handedOut:
                // The name stays held until the reconciler knows views of before are stale (handedOut).
                if ownsQueues {
                    // It runs: answer now; the used record follows while the name stays held.
                    Task { [self] in
                        // A crash before this leaves a running preload, which the planner counts as used.
                        try? await markUsed(domain.name, template: template, useRecord: useRecord)
                        await reconciler?.handedOut(domain.name)
                    }
                } else {
                    await reconciler?.handedOut(domain.name)
                }
                return Handout(name: domain.name, domid: domain.domid, uuid: domain.uuid, template: template,
                    preloaded: true, seconds: clock.now() - start)
            case .notMatching:
                break
            case .notPaused(.running):
                try? await markUsed(domain.name, template: template)
            case .notPaused:
                await discard(domain.name)
            }
            await unhold(domain.name)
        }
        return nil
    }

    /// The hand-out of `domain`: in the controller that owns the queues just the unpause (its holds make it
    /// exclusive); elsewhere a durable claim first, which makes it an unnamed disposable being handed out (the
    /// planner removes one left paused in that stage by a crash), then the unpause and the used record.
    func handOutRequest(_ domain: Domain, useRecord: [String: String?]) -> HandOutRequest {
        if ownsQueues {
            return HandOutRequest(name: domain.name, domid: domain.domid, uuid: domain.uuid, expected: [:], claim: [:],
                used: [:])
        }
        return HandOutRequest(
            name: domain.name, domid: domain.domid, uuid: domain.uuid,
            expected: [MetadataKey.stage: Stage.paused.rawValue, MetadataKey.role: Role.preload.rawValue],
            claim: [MetadataKey.role: Role.unnamed.rawValue, MetadataKey.stage: Stage.requested.rawValue],
            used: [MetadataKey.stage: Stage.used.rawValue], hostMetadata: useRecord)
    }

    private func unhold(_ name: String) async {
        await reconciler?.unhold(name)
    }

    /// Makes a disposable from scratch: create, start, wait until ready.
    func coldStart(_ template: String, spec: EffectiveSpec, revision: String, start: Double) async throws(RequestError)
        -> Handout
    {
        var lastError = HostError(.operationFailed, "no attempt")
        for _ in 0..<3 {
            let snapshot = try await hostCall { () throws(HostError) in try await host.snapshot() }
            let busy = await reconciler?.busyNames ?? []
            let taken = DispidAllocator.inUse(snapshot).union(busy.compactMap(DispidAllocator.dispid(inName:)))
            guard let dispid = DispidAllocator.allocate(inUse: taken, released: DispidAllocator.released(snapshot.metadata),
                now: clock.now(), random: random)
            else {
                throw RequestError(.hostFailed, "no free dispid after \(DispidAllocator.draws) draws; release some disposables")
            }
            let name = DispidAllocator.name(dispid)
            if let reconciler, await !reconciler.hold(name) { continue }
            defer { Task { [reconciler] in await reconciler?.unhold(name) } }
            let metadata = ActionRunner.metadata(role: .unnamed, template: template, revision: revision, dispid: dispid,
                now: clock.now())
            do {
                let domain = try await ActionRunner(host: host, clock: clock).boot(name, spec: spec, metadata: metadata)
                try await markUsed(name, template: template)
                return Handout(name: name, domid: domain.domid, uuid: domain.uuid, template: template, preloaded: false,
                    seconds: clock.now() - start)
            } catch where error.code == .alreadyExists {
                lastError = error
                continue
            } catch {
                try? await ActionRunner(host: host, clock: clock).destroy(name: name)
                throw RequestError(error)
            }
        }
        throw RequestError(lastError)
    }

    /// Ends an unnamed disposable: asks it to power off, then removes it and its disks. A name still held (a
    /// hand-out recording its use) is waited for, up to 5 s.
    static func time(_ seconds: Double) -> String {
        Date(timeIntervalSince1970: seconds).ISO8601Format()
    }

    public func release(_ name: String) async throws(RequestError) {
        if let reconciler {
            let deadline = clock.now() + 5
            while await reconciler.busyNames.contains(name), clock.now() < deadline {
                do { try await clock.sleep(until: clock.now() + pollInterval) } catch { break }
            }
        }
        let snapshot = try await hostCall { () throws(HostError) in try await host.snapshot() }
        guard let domain = snapshot.domain(named: name) else {
            if let dispid = DispidAllocator.dispid(inName: name),
                let at = DispidAllocator.released(snapshot.metadata)[dispid]
            {
                throw RequestError(.alreadyReleased,
                    "\(name) was already released (\(Self.time(at))); its name is not reused for 7 days after that")
            }
            throw RequestError(.notFound, "no domain named \(name)")
        }
        guard domain.isOwned else {
            throw RequestError(.notReleasable, "\(name) was not made by dispo; dispo does not touch it")
        }
        switch Role(rawValue: domain.metadata[MetadataKey.role] ?? "") {
        case .named:
            throw RequestError(.notReleasable,
                "\(name) is a named disposable; it is never released (set state: halted in its config to stop it)")
        case .preload:
            throw RequestError(.notReleasable, "\(name) is a preloaded disposable waiting in the queue; it is not in use")
        case .unnamed, .none:
            if domain.power == .halted || domain.power == .crashed {
                throw RequestError(.alreadyReleased, "\(name) has already stopped (released, or it shut itself down); "
                    + "dispo removes it shortly")
            }
        }
        if let reconciler, await !reconciler.hold(name) {
            throw RequestError(.notReleasable, "\(name) is being worked on right now; try again")
        }
        defer { Task { [reconciler] in await reconciler?.unhold(name) } }
        try await hostCall { () throws(HostError) in
            if domain.power == .paused { try await host.unpause(name) }
            try await ActionRunner(host: host, clock: clock).stop(name: name)
        }
    }

    private func markUsed(_ name: String, template: String, useRecord: [String: String?]? = nil)
        async throws(HostError)
    {
        try await ActionRunner(host: host, clock: clock).markUsed(name, template: template, useRecord: useRecord)
    }

    private func discard(_ name: String) async {
        try? await ActionRunner(host: host, clock: clock).destroy(name: name)
    }

    /// The host the broker picks from: the newest pass's view (daemon) or a fresh snapshot.
    private func currentView(_ desired: DesiredState, cached: Bool) async throws(RequestError) -> View {
        if cached, let (last, unavailable) = await reconciler?.viewForHandOut() {
            return View(snapshot: last.snapshot, revisions: last.revisions, cached: true, unavailable: unavailable)
        }
        let takenAt = clock.now()
        let snapshot = try await hostCall { () throws(HostError) in try await host.snapshot() }
        return View(snapshot: snapshot, revisions: nil, cached: false,
            unavailable: await reconciler?.unavailable(since: takenAt) ?? [])
    }

    private func hostCall<Value>(_ body: () async throws(HostError) -> Value) async throws(RequestError) -> Value {
        do {
            return try await body()
        } catch {
            throw RequestError(error)
        }
    }
}

extension Broker {
    /// A snapshot to pick preloads from, and the revisions to judge them by when they come with it.
    struct View: Sendable {
        var snapshot: HostSnapshot
        /// The revisions of the pass that took `snapshot`; nil for a fresh snapshot (computed when needed).
        var revisions: Revisions?
        var cached: Bool
        /// Names not to take from it: in flight, or handed out since it was taken.
        var unavailable: Set<String>

        /// The revision of one disposable template's spec in `desired`, with the file fingerprint the pass took
        /// when there is one (else its template's files are fingerprinted now).
        func revision(of template: String, in desired: DesiredState, host: any Host) async -> String {
            guard let spec = desired.spec(forDisposableTemplate: template) else { return "" }
            var fingerprint = ""
            if spec.template.revision == .auto {
                if let known = revisions?.fingerprints[spec.template.name] {
                    fingerprint = known
                } else {
                    fingerprint = await host.fingerprint(files: spec.template.revisionFiles)
                }
            }
            return Digest.revision(of: spec, fingerprint: fingerprint)
        }
    }
}
