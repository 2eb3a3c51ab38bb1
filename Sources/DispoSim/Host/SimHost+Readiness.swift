public import DispoConfig
public import DispoHost

extension SimHost {
    /// Waits until the guest has booted (`ready_at`); the sim's guests always write the readiness key then.
    ///
    /// A pending "ready" fault makes the guest never signal: the whole timeout passes, then ``HostError/Code/timeout``.
    public func waitReady(_ name: String, readiness: Readiness?, timeout: Interval) async throws(HostError) {
        let clock = self.clock
        let verdict = try await store.modify { state throws(HostError) -> ReadyVerdict in
            let now = clock.now()
            let index = try state.index(of: name)
            let domain = state.domains[index]
            guard domain.hasStarted, let readyAt = domain.readyAt else {
                throw HostError(.invalidState, domain: name, "was never started; unpause it before waiting for it")
            }
            try Self.requireAlive(domain)
            if state.consumeFault(.ready) { return .neverReady }
            if readyAt - now > timeout.seconds { return .neverReady }
            return .readyAt(readyAt)
        }
        let deadline: Double
        switch verdict {
        case .neverReady:
            try await sleep(until: clock.now() + timeout.seconds, waitingFor: name)
            throw HostError(
                .timeout, domain: name, "not ready after \(timeout)" + (readiness.map { " (\($0.xenstore))" } ?? ""))
        case .readyAt(let readyAt):
            deadline = readyAt
        }
        try await sleep(until: deadline, waitingFor: name)
        let state = try await store.read()
        let index = try state.index(of: name)
        try Self.requireAlive(state.domains[index])
    }

    private enum ReadyVerdict: Sendable {
        case neverReady
        case readyAt(Double)
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
