public import DispoConfig
public import DispoHost
import struct Foundation.Date

/// Hands out disposables: the oldest ready, up-to-date preload when there is one, else one still being made by
/// this process's reconciler (awaited up to 1.2x its ready timeout, woken by its completion), else a cold one. A
/// request never fails because the queue is empty and never hands out one domain twice.
///
/// A hand-out returns once the domain runs; its `used` record may follow (``Strategy/leaseOwner``), and the
/// coordinator's ``Coordinator/settle()`` waits for it.
package struct Broker: Sendable {
    /// How the broker keeps two hand-outs of one preload apart.
    package enum Strategy: Sendable, Hashable {
        /// A process that does not own the queues (`dispo request` beside no controller, or a controller that
        /// could not write its lease): reads the host fresh and claims a preload durably, in one atomic metadata
        /// update, before touching it; a live controller's queues are refused.
        case standalone
        /// The controller holding the ``ControllerLease``: picks from the newest pass's view (no host read before
        /// the hand-out), keeps its own requests apart with the coordinator's holds, and claims nothing durably
        /// (no other process takes its preloads).
        case leaseOwner
    }

    let host: any Host
    let clock: any HostClock
    let random: any RandomSource
    let coordinator: Coordinator
    let strategy: Strategy

    /// A broker of its own (``Strategy/standalone``, with a coordinator no reconciler shares).
    package init(host: any Host, clock: any HostClock, random: any RandomSource = SystemRandomSource()) {
        self.init(host: host, clock: clock, random: random, coordinator: Coordinator(), strategy: .standalone)
    }

    /// The broker of a controller: shares `coordinator` with its reconciler.
    package init(
        host: any Host, clock: any HostClock, random: any RandomSource, coordinator: Coordinator, strategy: Strategy
    ) {
        self.host = host
        self.clock = clock
        self.random = random
        self.coordinator = coordinator
        self.strategy = strategy
    }

    var runner: ActionRunner { ActionRunner(host: host, clock: clock, coordinator: coordinator) }

    /// Resolves `target` and hands out a disposable of it.
    package func request(_ target: RequestTarget, source: String?, desired: DesiredState) async throws(RequestError)
        -> Handout
    {
        let start = clock.now()
        var view = try await currentView(cached: strategy == .leaseOwner)
        let template: String
        do {
            template = try target.resolve(in: desired, source: source, snapshot: view.snapshot)
        } catch {
            guard view.cached else { throw error }
            view = try await currentView(cached: false)
            template = try target.resolve(in: desired, source: source, snapshot: view.snapshot)
        }
        guard let spec = desired.spec(forDisposableTemplate: template) else {
            throw RequestError(.notFound, "disposable template \(template) has no template")
        }
        if strategy == .standalone, let holder = ControllerLease.liveHolder(in: view.snapshot.metadata) {
            throw RequestError(.unavailable,
                "the dispo controller (pid \(holder)) owns the preload queues of this host; ask it through its socket "
                    + "(dispo request --socket PATH, or DISPO_SOCKET)")
        }
        let request = Request(template: template, desired: desired, start: start)
        if let handout = try await takePreload(request, view: view) { return handout }
        if view.cached {
            view = try await currentView(cached: false)
            if let handout = try await takePreload(request, view: view) { return handout }
        }
        if let handout = try await takeStarting(request, spec: spec, view: view) { return handout }
        let revision = await view.revision(of: template, in: desired, host: host)
        return try await coldStart(request, spec: spec, revision: revision)
    }

    /// What one request is for.
    struct Request: Sendable {
        var template: String
        var desired: DesiredState
        var start: Double
    }

    /// Waits for the preloads of the template this process is making (woken by each completion, no polling) and
    /// takes the first one it can, reading only that domain; nil when none is being made or none came in time.
    func takeStarting(_ request: Request, spec: EffectiveSpec, view: View) async throws(RequestError) -> Handout? {
        let deadline = clock.now() + (spec.ready?.timeout ?? Readiness.defaultTimeout).seconds * 1.2
        var tried: Set<String> = []
        while let name = await coordinator.nextCreated(of: request.template, since: view.takenAt, excluding: tried,
            until: deadline, clock: clock)
        {
            tried.insert(name)
            let found = try await hostCall { () throws(HostError) in try await host.domain(named: name) }
            guard let domain = found else { continue }
            var single = view
            single.snapshot.domains = [domain]
            single.cached = false
            single.unavailable = coordinator.busy
            if let handout = try await takePreload(request, view: single) { return handout }
        }
        return nil
    }

    /// Takes the oldest ready, up-to-date preload of `view` and hands it out (``Host/handOut(_:)``); nil when none
    /// is left. Outdated ones met on the way are destroyed (the refill replaces them); one found running (unpaused
    /// behind dispo's back) is someone's: it is marked used and skipped.
    func takePreload(_ request: Request, view: View) async throws(RequestError) -> Handout? {
        let template = request.template
        let queue = PreloadQueue.queue(of: template, in: view.snapshot).filter { !view.unavailable.contains($0.name) }
        guard !queue.isEmpty else { return nil }
        let revision = await view.revision(of: template, in: request.desired, host: host)
        let delay = request.desired.disposableTemplates[template]?.preload.delay
        for domain in queue {
            guard domain.metadata[MetadataKey.revision] == revision else {
                await discard(domain.name)
                continue
            }
            guard coordinator.hold(domain.name) else { continue }
            let useRecord = UseRecord.update(template: template, snapshot: view.snapshot, taking: domain.name,
                delay: delay, at: coordinator.stamp(clock))
            let outcome: HandOutOutcome
            do {
                outcome = try await host.handOut(handOutRequest(domain, useRecord: useRecord))
            } catch {
                await discard(domain.name)
                coordinator.release(domain.name)
                continue
            }
            switch outcome {
            case .handedOut:
                coordinator.handedOut(domain.name, at: clock.now())
                let handout = Handout(name: domain.name, domid: domain.domid, uuid: domain.uuid, template: template,
                    preloaded: true, seconds: clock.now() - request.start)
                switch strategy {
                case .leaseOwner:
                    // It runs: answer now. The used record follows while the name stays held; a stop waits for
                    // it, and a crash before it leaves a running preload, which the planner relabels used.
                    let runner = self.runner
                    coordinator.finishInBackground(domain.name) {
                        try? await runner.markUsed(domain.name, useRecord: useRecord)
                    }
                case .standalone:
                    coordinator.release(domain.name)  // the host wrote the used record with the hand-out
                }
                return handout
            case .notMatching:
                break
            case .notPaused(.running):
                try? await runner.markUsed(domain.name, useRecord: useRecord)
            case .notPaused:
                await discard(domain.name)
            }
            coordinator.release(domain.name)
        }
        return nil
    }

    /// The hand-out of `domain`: for the lease owner just the unpause (its holds make it exclusive); standalone a
    /// durable claim first, which makes it an unnamed disposable being handed out (the planner removes one left
    /// paused in that stage by a crash), then the unpause and the used record with the use.
    func handOutRequest(_ domain: Domain, useRecord: [String: String?]) -> HandOutRequest {
        switch strategy {
        case .leaseOwner:
            return HandOutRequest(name: domain.name, domid: domain.domid, uuid: domain.uuid, expected: [:], claim: [:],
                used: [:])
        case .standalone:
            return HandOutRequest(
                name: domain.name, domid: domain.domid, uuid: domain.uuid,
                expected: [MetadataKey.stage: Stage.paused.rawValue, MetadataKey.role: Role.preload.rawValue],
                claim: [MetadataKey.role: Role.unnamed.rawValue, MetadataKey.stage: Stage.requested.rawValue],
                used: [MetadataKey.stage: Stage.used.rawValue], hostMetadata: useRecord)
        }
    }

    /// Makes a disposable from scratch: create, start, wait until ready.
    func coldStart(_ request: Request, spec: EffectiveSpec, revision: String) async throws(RequestError) -> Handout {
        let template = request.template
        var lastError = HostError(.operationFailed, "no attempt")
        for _ in 0..<3 {
            let snapshot = try await hostCall { () throws(HostError) in try await host.snapshot() }
            let taken = DispidAllocator.inUse(snapshot).union(coordinator.busy.compactMap(DispidAllocator.dispid(inName:)))
            guard let dispid = DispidAllocator.allocate(inUse: taken, released: DispidAllocator.released(snapshot.metadata),
                now: clock.wallNow(), random: random)
            else {
                throw RequestError(.hostFailed, "no free dispid after \(DispidAllocator.draws) draws; release some disposables")
            }
            let name = DispidAllocator.name(dispid)
            guard coordinator.hold(name) else { continue }
            defer { coordinator.release(name) }
            let metadata = ActionRunner.metadata(role: .unnamed, template: template, revision: revision, dispid: dispid,
                now: coordinator.stamp(clock))
            let delay = request.desired.disposableTemplates[template]?.preload.delay
            do {
                let domain = try await runner.boot(name, spec: spec, metadata: metadata)
                try await runner.markUsed(name, useRecord: UseRecord.update(template: template, snapshot: snapshot,
                    taking: nil, delay: delay, at: coordinator.stamp(clock)))
                return Handout(name: name, domid: domain.domid, uuid: domain.uuid, template: template, preloaded: false,
                    seconds: clock.now() - request.start)
            } catch where error.code == .alreadyExists {
                lastError = error
                continue
            } catch {
                try? await runner.destroy(name: name)
                throw RequestError(error)
            }
        }
        throw RequestError(lastError)
    }

    static func time(_ seconds: Double) -> String {
        Date(timeIntervalSince1970: seconds).ISO8601Format()
    }

    /// Ends an unnamed disposable: asks it to power off, then removes it and its disks. A hand-out of `name` still
    /// writing its record is waited for first.
    package func release(_ name: String) async throws(RequestError) {
        await coordinator.recorded(name)
        let found = try await hostCall { () throws(HostError) in try await host.domain(named: name) }
        guard let domain = found else {
            let metadata = try await hostCall { () throws(HostError) in try await host.snapshot().metadata }
            if let dispid = DispidAllocator.dispid(inName: name), let at = DispidAllocator.released(metadata)[dispid] {
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
        guard coordinator.hold(name) else {
            throw RequestError(.notReleasable, "\(name) is being worked on right now; try again")
        }
        defer { coordinator.release(name) }
        let runner = self.runner
        try await hostCall { () throws(HostError) in
            if domain.power == .paused { try await host.unpause(name) }
            try await runner.stop(name: name)
        }
    }

    private func discard(_ name: String) async {
        try? await runner.destroy(name: name)
    }

    /// The host the broker picks from: the newest pass's view (lease owner) or a fresh snapshot.
    private func currentView(cached: Bool) async throws(RequestError) -> View {
        if cached, let (last, unavailable) = coordinator.viewForHandOut() {
            return View(snapshot: last.snapshot, revisions: last.revisions, cached: true, unavailable: unavailable,
                takenAt: last.at)
        }
        let takenAt = clock.now()
        let snapshot = try await hostCall { () throws(HostError) in try await host.snapshot() }
        return View(snapshot: snapshot, revisions: nil, cached: false, unavailable: coordinator.unavailable(since: takenAt),
            takenAt: takenAt)
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
        /// When it was taken (monotonic).
        var takenAt: Double

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
