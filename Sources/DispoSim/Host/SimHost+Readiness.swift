public import DispoConfig
public import DispoHost

extension SimHost {
    /// Waits until the guest has booted (`ready_at`); the sim's guests always write the readiness key then.
    ///
    /// A pending "ready" fault makes the guest never signal: the whole timeout passes, then ``HostError/Code/timeout``.
    /// A paused domain is ready only if it booted before it was paused and `readiness` is set (the key it wrote
    /// stays); else ``HostError/Code/invalidState``.
    public func waitReady(_ name: String, readiness: Readiness?, timeout: Interval) async throws(HostError) {
        let clock = self.clock
        let verdict = try await store.modify { state throws(HostError) -> ReadyVerdict in
            let now = clock.wallNow()
            let index = try state.index(of: name)
            let domain = state.domains[index]
            guard domain.hasStarted, let readyAt = domain.readyAt else {
                throw HostError(.invalidState, domain: name, "was never started; unpause it before waiting for it")
            }
            try Self.requireAlive(domain)
            if domain.power == .paused {
                guard readiness != nil, readyAt <= now else {
                    throw HostError(.invalidState, domain: name, "is paused; unpause it before waiting for it")
                }
                return .readyAt(readyAt, domid: domain.domid)
            }
            if state.consumeFault(.ready) { return .neverReady }
            if readyAt - now > timeout.seconds { return .neverReady }
            return .readyAt(readyAt, domid: domain.domid)
        }
        let deadline: Double
        let domid: Int
        switch verdict {
        case .neverReady:
            try await sleep(until: clock.now() + timeout.seconds, waitingFor: name)
            throw HostError(
                .timeout, domain: name, "not ready after \(timeout)" + (readiness.map { " (\($0.xenstore))" } ?? ""))
        case .readyAt(let readyAt, let id):
            // The sim records its times on the wall clock (they outlive the process); sleep on the monotonic one.
            deadline = clock.monotonic(ofWall: readyAt)
            domid = id
        }
        try await sleep(until: deadline, waitingFor: name)
        let state = try await store.read()
        guard let domain = state.domains.first(where: { $0.name == name }), domain.domid == domid else {
            throw HostError(.operationFailed, domain: name, "was destroyed while starting")
        }
        try Self.requireAlive(domain)
    }

    private enum ReadyVerdict: Sendable {
        case neverReady
        case readyAt(Double, domid: Int)
    }

    /// ``HostError/Code/operationFailed`` for a domain that crashed or powered off while starting.
    private static func requireAlive(_ domain: SimDomain) throws(HostError) {
        switch domain.power {
        case .running, .paused:
            return
        case .crashed:
            throw HostError(.operationFailed, domain: domain.name, "crashed while starting")
        case .halted:
            throw HostError(.operationFailed, domain: domain.name, "powered off while starting")
        }
    }

    private func sleep(until deadline: Double, waitingFor name: String) async throws(HostError) {
        do {
            try await clock.sleep(until: deadline)
        } catch {
            throw HostError(.operationFailed, domain: name, "stopped waiting for readiness (cancelled)")
        }
    }
}
