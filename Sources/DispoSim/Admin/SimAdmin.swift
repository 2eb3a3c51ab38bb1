public import DispoConfig
public import DispoHost

/// What `dispo sim` does to the simulated host: the guests' and the user's part, acting on any domain.
///
/// Not part of ``Host``: dispo itself never calls these.
public struct SimAdmin: Sendable {
    public let store: any SimStore
    public let clock: any HostClock

    public init(store: any SimStore, clock: any HostClock = SystemClock()) {
        self.store = store
        self.clock = clock
    }

    /// The host as `dispo sim ls` shows it.
    public struct Listing: Sendable {
        public var snapshot: HostSnapshot
        public var dom0Memory: Size
        public var bootSeconds: Double
        public var seed: UInt64
        public var faults: [SimOperation: Int]
        /// Names of running domains still booting.
        public var booting: Set<String>
    }

    /// Replaces whatever was there (even an unreadable file) with a fresh host without domains.
    @discardableResult
    public func initialise(
        memory: Size = SimState.defaultTotalMemory, boot: Interval = .seconds(2), seed: UInt64 = 0,
        guestUsed: Size? = .mebibytes(SimState.defaultGuestUsedMiB),
        balloonMiBPerSecond: Double = SimState.defaultBalloonMiBPerSecond
    ) async throws(HostError) -> SimState {
        guard memory > SimState.defaultDom0Memory else {
            throw HostError(
                .invalidState, "host memory \(memory) must be more than dom0's \(SimState.defaultDom0Memory)")
        }
        guard !boot.isNegative else { throw HostError(.invalidState, "boot time \(boot) must not be negative") }
        guard balloonMiBPerSecond.isFinite, balloonMiBPerSecond > 0 else {
            throw HostError(.invalidState, "balloon speed \(balloonMiBPerSecond) MiB/s must be more than 0")
        }
        var state = SimState(totalMemory: memory, bootSeconds: boot.seconds, seed: seed)
        state.guestUsedMiB = guestUsed?.mebibytes
        state.balloonMiBPerSecond = balloonMiBPerSecond
        try await store.replace(with: state)
        return state
    }

    public func list() async throws(HostError) -> Listing {
        let state = try await store.read()
        let now = clock.wallNow()
        let booting = state.domains.filter { $0.power == .running && !$0.isReady(at: now) }.map(\.name)
        return Listing(
            snapshot: state.snapshot(at: now), dom0Memory: Size(kibibytes: state.dom0MemoryKiB),
            bootSeconds: state.bootSeconds, seed: state.seed, faults: state.faults, booting: Set(booting))
    }

    /// Adds a running domain dispo does not own, as a user's own VM (booted, no metadata).
    @discardableResult
    public func addForeign(name: String, memory: Size) async throws(HostError) -> Domain {
        let clock = self.clock
        return try await store.modify { state throws(HostError) in
            let now = clock.wallNow()
            if state.domains.contains(where: { $0.name == name }) {
                throw HostError(.alreadyExists, domain: name, "a domain with this name already exists")
            }
            let free = state.freeMemoryKiB(at: now)
            guard free >= memory.kibibytes else {
                throw HostError(
                    .insufficientMemory, domain: name, "needs \(memory) but the host has \(Size(kibibytes: free)) free")
            }
            let index = state.addDomain(name: name, memory: memory, maxmem: memory, power: .running, at: now)
            state.domains[index].hasStarted = true
            state.domains[index].startedAt = now
            state.domains[index].readyAt = now
            return state.view(of: state.domains[index], at: now)
        }
    }

    /// The guest powers itself off (running or paused becomes halted).
    public func guestShutdown(_ name: String) async throws(HostError) {
        try await change(name, from: [.running, .paused], verb: "shut down") { state, index, now in
            state.halt(index, as: .halted, at: now)
        }
    }

    /// The guest crashes.
    public func crash(_ name: String) async throws(HostError) {
        try await change(name, from: [.running, .paused], verb: "crash") { state, index, now in
            state.halt(index, as: .crashed, at: now)
        }
    }

    /// Unpauses a paused domain behind dispo's back (as `xl unpause` would); marks it `unpaused_externally`.
    public func unpauseBehindDispo(_ name: String) async throws(HostError) {
        try await change(name, from: [.paused], verb: "unpause") { state, index, now in
            state.resume(index, at: now)
            state.domains[index].unpausedExternally = true
        }
    }

    /// The guest writes `text` as its meminfo report (verbatim: garbage is what a hostile guest would write), or
    /// removes its own report (nil: it reports the host's default use again once booted). Any power state.
    public func writeMeminfo(_ name: String, _ text: String?) async throws(HostError) {
        try await change(name, from: Set(PowerState.allCases), verb: "report the memory use of") { state, index, _ in
            state.domains[index].meminfo = text
        }
    }

    /// Makes the next `count` runs of `operation` fail; returns how many are now pending.
    @discardableResult
    public func injectFault(operation: SimOperation, count: Int = 1) async throws(HostError) -> Int {
        guard count >= 1 else { throw HostError(.invalidState, "a fault count must be at least 1, not \(count)") }
        return try await store.modify { state in
            let pending = (state.pendingFaults[operation.rawValue] ?? 0) + count
            state.pendingFaults[operation.rawValue] = pending
            return pending
        }
    }

    private func change(
        _ name: String, from allowed: Set<PowerState>, verb: String,
        _ body: @escaping @Sendable (inout SimState, Int, Double) -> Void
    ) async throws(HostError) {
        let clock = self.clock
        try await store.modify { state throws(HostError) in
            let index = try state.index(of: name)
            try SimHost.require(state.domains[index], in: allowed, to: verb)
            body(&state, index, clock.wallNow())
        }
    }
}
