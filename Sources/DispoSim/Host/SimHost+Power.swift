public import DispoConfig
public import DispoHost

extension SimHost {
    /// The first unpause of a never-started domain boots it (a "start"); the guest is ready `boot_seconds` later.
    public func unpause(_ name: String) async throws(HostError) {
        try await perform { state, now throws(HostError) -> Step<Void> in
            let index = try state.ownedIndex(of: name)
            try Self.require(state.domains[index], in: [.paused], to: "unpause")
            let isStart = !state.domains[index].hasStarted
            if state.consumeFault(isStart ? .start : .unpause) {
                return .failed(Self.injected(isStart ? .start : .unpause, name))
            }
            state.resume(index, at: now)
            return .done((), cost: isStart ? state.costs.start : state.costs.unpause)
        }
    }

    public func pause(_ name: String) async throws(HostError) {
        try await perform { state, now throws(HostError) -> Step<Void> in
            let index = try state.ownedIndex(of: name)
            try Self.require(state.domains[index], in: [.running], to: "pause")
            if state.consumeFault(.pause) { return .failed(Self.injected(.pause, name)) }
            state.settle(index, at: now)
            state.domains[index].power = .paused
            return .done((), cost: state.costs.pause)
        }
    }

    /// Sets the balloon target; a running guest then moves toward it at the host's balloon speed.
    public func setMemoryTarget(_ name: String, _ target: Size) async throws(HostError) {
        try await perform { state, now throws(HostError) -> Step<Void> in
            let index = try state.ownedIndex(of: name)
            try Self.require(state.domains[index], in: [.running, .paused], to: "set the memory target of")
            let maxmem = state.domains[index].maxmemKiB
            guard target.kibibytes <= maxmem else {
                throw HostError(
                    .invalidState, domain: name,
                    "memory target \(target) is above maxmem \(Size(kibibytes: maxmem))")
            }
            state.settle(index, at: now)
            state.domains[index].targetKiB = target.kibibytes
            return .done((), cost: 0)
        }
    }

    /// The guest powers off at once: running becomes halted (a halted domain stays halted). A paused guest cannot
    /// answer, as on Xen: ``HostError/Code/invalidState``.
    public func shutdown(_ name: String) async throws(HostError) {
        try await perform { state, now throws(HostError) -> Step<Void> in
            let index = try state.ownedIndex(of: name)
            try Self.require(state.domains[index], in: [.running, .halted], to: "shut down")
            if state.domains[index].power == .running { state.halt(index, as: .halted, at: now) }
            return .done((), cost: 0)
        }
    }

    /// ``HostError/Code/invalidState`` unless `domain` is in one of `allowed`.
    static func require(_ domain: SimDomain, in allowed: Set<PowerState>, to verb: String) throws(HostError) {
        guard allowed.contains(domain.power) else {
            throw HostError(.invalidState, domain: domain.name, "cannot \(verb) a \(domain.power.rawValue) domain")
        }
    }
}

extension SimState {
    /// paused -> running; the first time, the domain boots (ready `bootSeconds` from now).
    mutating func resume(_ index: Int, at now: Double) {
        settle(index, at: now)
        domains[index].power = .running
        if !domains[index].hasStarted {
            domains[index].hasStarted = true
            domains[index].startedAt = now
            domains[index].readyAt = now + bootSeconds
        }
    }

    /// The domain stops running (halted or crashed) and keeps the memory it holds until destroyed.
    mutating func halt(_ index: Int, as power: PowerState, at now: Double) {
        settle(index, at: now)
        domains[index].power = power
    }
}
