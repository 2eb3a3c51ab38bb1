public import DispoConfig
public import DispoHost
import Synchronization

extension XenHost {
    /// Returns once the guest is ready: running when `readiness` is nil, else once it has written a non-empty
    /// value at `/local/domain/<domid>/<readiness.xenstore>`.
    ///
    /// The key is watched (`xs_watch` on the watch thread), not polled, together with `@releaseDomain`, so a
    /// guest that crashes or powers off while starting fails the wait at once (``HostError/Code/operationFailed``)
    /// instead of running into the timeout (``HostError/Code/timeout``). A paused domain is ready only if it wrote
    /// its key before it was paused; else (and always with no readiness key) it is ``HostError/Code/invalidState``
    /// (unpause it first). A domain paused while it is waited for is waited for.
    public func waitReady(_ name: String, readiness: Readiness?, timeout: Interval) async throws(HostError) {
        try Self.validate(name)
        let key = readiness?.xenstore
        let first = try await worker.run { session throws(HostError) in try session.readiness(of: name, key: key) }
        guard case .waiting(let domid) = first, let key else { return }
        let path = XenstorePaths.guest(domid, key: key)

        let (ticks, tick) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let subscription = watcher.subscribe([path, XenstorePaths.releaseDomain]) { _ in tick.yield() }
        let timer = Task {
            try? await Task.sleep(for: timeout.duration)
            tick.finish()
        }
        defer {
            watcher.unsubscribe(subscription)
            timer.cancel()
            tick.finish()
        }
        tick.yield()  // check once after subscribing: the key may have been written in between
        for await _ in ticks {
            let check = try await worker.run { session throws(HostError) in
                try session.readiness(of: name, key: key, domid: domid)
            }
            if case .ready = check { return }
        }
        if Task.isCancelled {
            throw HostError(.operationFailed, domain: name, "stopped waiting for readiness (cancelled)")
        }
        let last = try await worker.run { session throws(HostError) in
            try session.readiness(of: name, key: key, domid: domid)
        }
        if case .ready = last { return }
        throw HostError(.timeout, domain: name, "not ready after \(timeout) (the guest did not write \(path))")
    }

    /// Host events: `.changed` whenever something may have changed, for the controller to read the host again
    /// (it is level-based and never replays events).
    ///
    /// Sources: libxl's domain shutdown and death events (``DomainDeathEvents``, for the domains the last snapshot
    /// listed); xenstore watches on `@introduceDomain` (a domain was created) and dispo's records
    /// (`/dispo/domains`); and, because Xen signals no pause or unpause to anybody, a poll of every domain's power
    /// state each `powerPollInterval` seconds (one `libxl_list_domain`, no xenstore reads): an `xl unpause` behind
    /// dispo's back is noticed within it. The poll's first look yields `.changed` too (it cannot tell what changed
    /// between this call and then). Ends when the consumer stops iterating.
    public func events() -> AsyncStream<HostEvent> {
        let watcher = self.watcher
        let worker = self.worker
        let deathEvents = startDeathEvents()
        let interval = options.powerPollInterval
        // Without libxl's events (they could not be started), the @releaseDomain watch tells of deaths.
        let deaths = deathEvents == nil ? [XenstorePaths.releaseDomain] : []
        let paths = [XenstorePaths.introduceDomain, self.paths.domains] + deaths
        return AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let subscription = watcher.subscribe(paths) { _ in continuation.yield(.changed) }
            let deathSubscription = deathEvents?.subscribe { _ in continuation.yield(.changed) }
            let poll = Task {
                var previous: [UInt32: PowerState]?
                while !Task.isCancelled {
                    if let current = try? await worker.run({ session throws(HostError) in
                        try session.libxl.powerStates()
                    }) {
                        if previous != current { continuation.yield(.changed) }
                        previous = current
                    }
                    do { try await Task.sleep(for: .seconds(interval)) } catch { break }
                }
            }
            continuation.onTermination = { _ in
                watcher.unsubscribe(subscription)
                if let deathSubscription { deathEvents?.unsubscribe(deathSubscription) }
                poll.cancel()
            }
        }
    }

    /// The death event thread, started on first use; nil (with a warning) when libxl refuses a third context.
    private func startDeathEvents() -> DomainDeathEvents? {
        let echo = options.echoLibxlErrors
        let warn = options.warn
        return deathEvents.withLock { events -> DomainDeathEvents? in
            if events == nil {
                do throws(HostError) {
                    events = try DomainDeathEvents(echoErrors: echo)
                } catch {
                    warn("libxl's domain events are not available (\(error)); watching @releaseDomain instead")
                }
            }
            return events
        }
    }

    /// ``FileFingerprint`` of `files` (size, mtime, inode; missing files count), computed off the pool.
    public func fingerprint(files: [String]) async -> String {
        (try? await offload("dispo-xen-stat") { FileFingerprint.fingerprint(files) }) ?? ""
    }
}

/// Where a guest is on its way to ready.
enum ReadyCheck: Sendable {
    case ready
    /// Not yet; the domain's id (to watch its readiness key).
    case waiting(UInt32)
}

extension XenSession {
    /// Checks the domain `name` (which must still be `domid` when given): ready, not yet, or failed.
    func readiness(of name: String, key: String?, domid expected: UInt32? = nil) throws(HostError) -> ReadyCheck {
        guard let domain = live(name) else {
            if expected == nil { throw HostError(.notFound, domain: name, "no such domain") }
            throw HostError(.operationFailed, domain: name, "was destroyed while starting")
        }
        let domid = domain.domid
        if let expected, expected != domid {
            throw HostError(.operationFailed, domain: name, "was destroyed (and another made with its name) while starting")
        }
        switch domain.flags.power {
        case .crashed:
            throw HostError(.operationFailed, domain: name, "crashed while starting")
        case .halted:
            throw HostError(.operationFailed, domain: name, "powered off while starting")
        case .paused where key == nil:
            throw HostError(.invalidState, domain: name, "is paused; unpause it before waiting for it")
        case .running, .paused:
            break
        }
        guard let key else { return .ready }
        let value = try metadata.store.read(XenstorePaths.guest(domid, key: key))
        if let value, !value.isEmpty { return .ready }
        if domain.flags.power == .paused, expected == nil {
            throw HostError(.invalidState, domain: name, "is paused and not ready; unpause it before waiting for it")
        }
        return .waiting(domid)
    }
}
