public import DispoConfig
public import DispoHost

/// The whole simulated Xen host, as kept in its state file (snake_case JSON with a `version`).
///
/// Memory amounts are KiB (Xen's granularity); times are seconds since the Unix epoch.
public struct SimState: Sendable, Hashable, Codable {
    /// The state file format this build reads and writes.
    public static let currentVersion = 1
    public static let defaultTotalMemory = Size.mebibytes(16 * 1024)
    public static let defaultDom0Memory = Size.mebibytes(1024)
    public static let defaultBootSeconds = 2.0
    /// What a booted guest reports using by default: Qubes' preferred memory of it is 325 MiB.
    public static let defaultGuestUsedMiB: UInt64 = 250
    /// The default balloon speed.
    public static let defaultBalloonMiBPerSecond = 1000.0

    public var version: Int
    public var totalMemoryKiB: UInt64
    /// Memory dom0 holds; never available to guests.
    public var dom0MemoryKiB: UInt64
    /// Seconds from a domain's first unpause until it is ready.
    public var bootSeconds: Double
    /// How fast a guest's balloon driver releases (or takes) memory toward its target.
    public var balloonMiBPerSecond: Double
    /// A booted guest grows to min(maxmem, memory + growth), so that shrinking it has work to do.
    public var bootGrowthMiB: UInt64
    /// The memory a booted guest reports using (Qubes' meminfo, ``DispoHost/Domain/reportedUse``) unless its own
    /// ``SimDomain/meminfo`` says otherwise; nil: guests do not report, so preloads are not shrunk. A state file
    /// without it (an older dispo's) has guests that do not report.
    public var guestUsedMiB: UInt64?
    /// Seconds each operation takes.
    public var costs: SimCosts
    public var seed: UInt64
    /// The state of the seeded generator behind uuids; advances with every domain made.
    public var rngState: UInt64
    /// The domid the next domain gets (Xen-like: increasing from 1).
    public var nextDomid: Int
    /// How many of the next operations of each kind fail, by ``SimOperation`` raw value.
    public var pendingFaults: [String: Int]
    /// Every domain, oldest first.
    public var domains: [SimDomain]
    /// Host-wide dispo metadata.
    public var metadata: [String: String]

    /// A fresh host with no domains.
    public init(
        totalMemory: Size = SimState.defaultTotalMemory, dom0Memory: Size = SimState.defaultDom0Memory,
        bootSeconds: Double = SimState.defaultBootSeconds, seed: UInt64 = 0
    ) {
        version = Self.currentVersion
        totalMemoryKiB = totalMemory.kibibytes
        dom0MemoryKiB = dom0Memory.kibibytes
        self.bootSeconds = bootSeconds
        balloonMiBPerSecond = Self.defaultBalloonMiBPerSecond
        bootGrowthMiB = 200
        guestUsedMiB = Self.defaultGuestUsedMiB
        costs = SimCosts()
        self.seed = seed
        rngState = seed
        nextDomid = 1
        pendingFaults = [:]
        domains = []
        metadata = [:]
    }

    enum CodingKeys: String, CodingKey {
        case version, costs, seed, domains, metadata
        case totalMemoryKiB = "total_memory_kib"
        case dom0MemoryKiB = "dom0_memory_kib"
        case bootSeconds = "boot_seconds"
        case balloonMiBPerSecond = "balloon_mib_per_second"
        case bootGrowthMiB = "boot_growth_mib"
        case guestUsedMiB = "guest_used_mib"
        case rngState = "rng_state"
        case nextDomid = "next_domid"
        case pendingFaults = "pending_faults"
    }
}

/// Seconds each simulated operation takes (0: instant).
public struct SimCosts: Sendable, Hashable, Codable {
    public var create: Double
    /// The first unpause, which boots the domain.
    public var start: Double
    public var pause: Double
    public var unpause: Double
    public var destroy: Double

    public init(create: Double = 0, start: Double = 0, pause: Double = 0, unpause: Double = 0, destroy: Double = 0) {
        self.create = create
        self.start = start
        self.pause = pause
        self.unpause = unpause
        self.destroy = destroy
    }
}

extension SimState {
    /// The index of the domain called `name`, or ``HostError/Code/notFound``.
    func index(of name: String) throws(HostError) -> Int {
        guard let index = domains.firstIndex(where: { $0.name == name }) else {
            throw HostError(.notFound, domain: name, "no such domain on the simulated host")
        }
        return index
    }

    /// Like ``index(of:)``, and refuses domains without `owner=dispo` (``HostError/Code/notOwned``).
    func ownedIndex(of name: String) throws(HostError) -> Int {
        let index = try index(of: name)
        guard domains[index].metadata[MetadataKey.owner] == MetadataKey.ownerValue else {
            throw HostError(.notOwned, domain: name, "not managed by dispo (no owner=dispo); refusing to touch it")
        }
        return index
    }

    /// Takes one pending fault of `operation`; true when there was one (the operation must fail).
    mutating func consumeFault(_ operation: SimOperation) -> Bool {
        guard let count = pendingFaults[operation.rawValue], count > 0 else { return false }
        pendingFaults[operation.rawValue] = count > 1 ? count - 1 : nil
        return true
    }

    /// The pending faults, by operation.
    public var faults: [SimOperation: Int] {
        var result: [SimOperation: Int] = [:]
        for operation in SimOperation.allCases {
            if let count = pendingFaults[operation.rawValue], count > 0 { result[operation] = count }
        }
        return result
    }

    /// Memory not held by dom0 or any existing domain (halted and crashed ones hold theirs until destroyed).
    public func freeMemoryKiB(at now: Double) -> UInt64 {
        let held = domains.reduce(UInt64(0)) { $0 + memoryKiB(of: $1, at: now) }
        let used = held + dom0MemoryKiB
        return totalMemoryKiB > used ? totalMemoryKiB - used : 0
    }

    /// What the host reports at `now`.
    public func snapshot(at now: Double) -> HostSnapshot {
        HostSnapshot(
            domains: domains.map { view(of: $0, at: now) }, freeMemory: Size(kibibytes: freeMemoryKiB(at: now)),
            totalMemory: Size(kibibytes: totalMemoryKiB), metadata: metadata)
    }

    /// `domain` as a ``Domain``, its memory evaluated at `now`.
    public func view(of domain: SimDomain, at now: Double) -> Domain {
        Domain(
            name: domain.name, uuid: domain.uuid, domid: domain.domid, power: domain.power,
            memory: Size(kibibytes: memoryKiB(of: domain, at: now)), maxmem: Size(kibibytes: domain.maxmemKiB),
            metadata: domain.metadata, reportedUse: reportedUse(of: domain, at: now))
    }

    /// What `domain`'s guest reports using at `now`: its own ``SimDomain/meminfo`` when written (parsed as Xen's
    /// backend parses the xenstore key: garbage is nil), else ``guestUsedMiB`` once it has booted.
    public func reportedUse(of domain: SimDomain, at now: Double) -> Size? {
        if let text = domain.meminfo { return GuestMemoryReport.parse(text) }
        guard domain.isReady(at: now), let guestUsedMiB else { return nil }
        return .mebibytes(guestUsedMiB)
    }

    /// Adds a domain with a fresh uuid and the next domid; returns its index.
    mutating func addDomain(
        name: String, memory: Size, maxmem: Size, power: PowerState, at now: Double
    ) -> Int {
        var generator = SeededGenerator(state: rngState)
        let uuid = generator.uuid()
        rngState = generator.state
        let domain = SimDomain(
            name: name, uuid: uuid, domid: nextDomid, power: power, memory: memory.kibibytes,
            maxmem: maxmem.kibibytes, at: now)
        nextDomid += 1
        domains.append(domain)
        return domains.count - 1
    }
}
