import DispoConfig
public import DispoHost

/// A simulated Xen host kept in a ``SimStore``: the embedded default backend, deterministic with a seed.
///
/// Time comes from the injected ``HostClock`` (a ``VirtualClock`` jumps on every sleep, so tests run in virtual
/// time); memory, boot and balloon progress are computed from timestamps, with no background work.
public struct SimHost: Host {
    public let store: any SimStore
    public let clock: any HostClock
    /// Seconds (of `clock`) between two looks at the store in ``events()``.
    public let pollInterval: Double

    public init(store: any SimStore, clock: any HostClock = SystemClock(), pollInterval: Double = 0.25) {
        self.store = store
        self.clock = clock
        self.pollInterval = pollInterval
    }

    /// The host in the state file at `path`; when missing, created with defaults on the first change if
    /// `createIfMissing`, else every operation fails naming the path and `dispo sim init`.
    public init(path: String, clock: any HostClock = SystemClock(), createIfMissing: Bool = true) {
        self.init(store: FileSimStore(path: path, createIfMissing: createIfMissing), clock: clock)
    }

    public var backend: String { "sim" }
    public var location: String { store.location }

    /// The `dispo sim` side of this host: the guest's and the user's part.
    public var admin: SimAdmin { SimAdmin(store: store, clock: clock) }

    public func snapshot() async throws(HostError) -> HostSnapshot {
        let clock = self.clock
        let state = try await store.read()
        return state.snapshot(at: clock.wallNow())
    }

    /// One read of the store, and the view of that one domain only.
    public func domain(named name: String) async throws(HostError) -> Domain? {
        let clock = self.clock
        let state = try await store.read()
        return state.domains.first { $0.name == name }.map { state.view(of: $0, at: clock.wallNow()) }
    }

    public func create(_ request: CreateRequest) async throws(HostError) -> Domain {
        try await perform { state, now throws(HostError) -> Step<Domain> in
            if state.consumeFault(.create) {
                return .failed(Self.injected(.create, request.name))
            }
            if state.domains.contains(where: { $0.name == request.name }) {
                throw HostError(.alreadyExists, domain: request.name, "a domain with this name already exists")
            }
            let free = state.freeMemoryKiB(at: now)
            let spec = request.spec
            guard free >= spec.memory.kibibytes else {
                throw HostError(
                    .insufficientMemory, domain: request.name,
                    "needs \(spec.memory) but the host has \(Size(kibibytes: free)) free")
            }
            let index = state.addDomain(
                name: request.name, memory: spec.memory, maxmem: Swift.max(spec.maxmem, spec.memory), power: .paused,
                at: now)
            state.domains[index].vcpus = spec.vcpus
            state.domains[index].netvm = spec.netvm
            state.domains[index].disks = Self.disks(of: spec.template)
            state.domains[index].metadata = request.metadata
            return .done(state.view(of: state.domains[index], at: now), cost: state.costs.create)
        }
    }

    public func destroy(_ name: String) async throws(HostError) {
        try await perform { state, _ throws(HostError) -> Step<Void> in
            let index = try state.ownedIndex(of: name)
            state.domains.remove(at: index)
            return .done((), cost: state.costs.destroy)
        }
    }

    public func updateMetadata(_ name: String, _ values: [String: String?]) async throws(HostError) {
        try await perform { state, _ throws(HostError) -> Step<Void> in
            let index = try state.ownedIndex(of: name)
            Self.merge(values, into: &state.domains[index].metadata)
            return .done((), cost: 0)
        }
    }

    public func updateMetadata(_ name: String, _ values: [String: String?], ifMatching expected: [String: String])
        async throws(HostError) -> Bool
    {
        try await perform { state, _ throws(HostError) -> Step<Bool> in
            let index = try state.ownedIndex(of: name)
            let metadata = state.domains[index].metadata
            guard expected.allSatisfy({ metadata[$0.key] == $0.value }) else { return .done(false, cost: 0) }
            Self.merge(values, into: &state.domains[index].metadata)
            return .done(true, cost: 0)
        }
    }

    public func updateHostMetadata(_ values: [String: String?]) async throws(HostError) {
        try await perform { state, _ -> Step<Void> in
            Self.merge(values, into: &state.metadata)
            return .done((), cost: 0)
        }
    }

    /// Always "": on the sim, `revision: auto` digests the spec only.
    public func fingerprint(files: [String]) async -> String { "" }

    // MARK: - Shared plumbing

    /// What one store transaction decided: a value and the seconds the operation takes, or a failure to throw
    /// after saving (an injected fault is consumed even though the operation fails).
    enum Step<Value: Sendable>: Sendable {
        case done(Value, cost: Double)
        case failed(HostError)
    }

    /// Runs `change` in one store transaction at the clock's now, then sleeps the operation's cost.
    func perform<Value: Sendable>(
        _ change: @escaping @Sendable (inout SimState, Double) throws(HostError) -> Step<Value>
    ) async throws(HostError) -> Value {
        let clock = self.clock
        let step = try await store.modify { state throws(HostError) in try change(&state, clock.wallNow()) }
        switch step {
        case .failed(let error):
            throw error
        case .done(let value, let cost):
            if cost > 0 { try? await clock.sleep(seconds: cost) }
            return value
        }
    }

    static func injected(_ operation: SimOperation, _ name: String) -> HostError {
        HostError(
            .operationFailed, domain: name,
            "\(operation) failed (a fault injected with `dispo sim fail \(operation)`)")
    }

    static func merge(_ values: [String: String?], into metadata: inout [String: String]) {
        for (key, value) in values {
            metadata[key] = value
        }
    }

    static func disks(of template: Template) -> [String] {
        var lines = template.disks.map { "\($0.target) \($0.mode.rawValue) \($0.source)" }
        if let volatile = template.volatile { lines.append("volatile \(volatile)") }
        return lines
    }
}
