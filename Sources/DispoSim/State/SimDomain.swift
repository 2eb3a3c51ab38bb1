public import DispoHost

/// One domain on the simulated host.
///
/// Memory is evaluated lazily from timestamps (see ``SimState/memoryKiB(of:at:)``): `memoryKiB` is what the domain
/// held at `memoryAt`, and every change of power or balloon target first settles the amount at that moment.
public struct SimDomain: Sendable, Hashable, Codable {
    public var name: String
    public var uuid: String
    public var domid: Int
    public var power: PowerState
    /// The memory it was created with.
    public var initialMemoryKiB: UInt64
    public var maxmemKiB: UInt64
    /// Memory held at `memoryAt`.
    public var memoryKiB: UInt64
    public var memoryAt: Double
    /// The balloon target from the last `setMemoryTarget`; nil before any.
    public var targetKiB: UInt64?
    public var vcpus: Int
    public var netvm: String?
    /// One line per disk, e.g. `xvda ro /var/lib/dispo/debian-12/root.img`.
    public var disks: [String]
    /// dispo's metadata; empty for a domain dispo did not make.
    public var metadata: [String: String]
    /// True once the domain was first unpaused (booted).
    public var hasStarted: Bool
    public var startedAt: Double?
    /// When the guest finishes booting: `startedAt` + the host's boot seconds.
    public var readyAt: Double?
    /// Unpaused by someone other than dispo (`dispo sim unpause`).
    public var unpausedExternally: Bool
    /// What the guest wrote as its meminfo report, verbatim (untrusted, see ``DispoHost/GuestMemoryReport``); nil:
    /// it reports the host's ``SimState/guestUsedMiB`` once booted.
    public var meminfo: String?
    public var createdAt: Double

    init(name: String, uuid: String, domid: Int, power: PowerState, memory: UInt64, maxmem: UInt64, at now: Double) {
        self.name = name
        self.uuid = uuid
        self.domid = domid
        self.power = power
        initialMemoryKiB = memory
        maxmemKiB = maxmem
        memoryKiB = memory
        memoryAt = now
        targetKiB = nil
        vcpus = 1
        netvm = nil
        disks = []
        metadata = [:]
        hasStarted = false
        startedAt = nil
        readyAt = nil
        unpausedExternally = false
        meminfo = nil
        createdAt = now
    }

    /// True when the guest has booted by `now`.
    public func isReady(at now: Double) -> Bool {
        guard let readyAt else { return false }
        return now >= readyAt
    }

    enum CodingKeys: String, CodingKey {
        case name, uuid, domid, power, vcpus, netvm, disks, metadata, meminfo
        case initialMemoryKiB = "initial_memory_kib"
        case maxmemKiB = "maxmem_kib"
        case memoryKiB = "memory_kib"
        case memoryAt = "memory_at"
        case targetKiB = "target_kib"
        case hasStarted = "has_started"
        case startedAt = "started_at"
        case readyAt = "ready_at"
        case unpausedExternally = "unpaused_externally"
        case createdAt = "created_at"
    }
}

extension SimState {
    /// The memory `domain` holds at `now`.
    ///
    /// Only a running guest changes its memory: it boots holding its initial memory, holds
    /// min(maxmem, memory + boot growth) once ready, and after a balloon target is set moves toward it linearly at
    /// the balloon speed, never past it. Paused, halted and crashed domains keep what they held.
    public func memoryKiB(of domain: SimDomain, at now: Double) -> UInt64 {
        guard domain.power == .running else { return domain.memoryKiB }
        if let target = domain.targetKiB {
            let elapsed = Swift.max(0, now - domain.memoryAt)
            let moved = kibibytes(elapsed * balloonMiBPerSecond * 1024)
            if domain.memoryKiB > target {
                return domain.memoryKiB - Swift.min(domain.memoryKiB - target, moved)
            }
            return domain.memoryKiB + Swift.min(target - domain.memoryKiB, moved)
        }
        if domain.isReady(at: now) {
            let booted = Swift.min(domain.maxmemKiB, domain.initialMemoryKiB + bootGrowthMiB * 1024)
            return Swift.max(domain.memoryKiB, booted)
        }
        return domain.memoryKiB
    }

    /// Records what the domain at `index` holds at `now`, before its power or target changes.
    mutating func settle(_ index: Int, at now: Double) {
        domains[index].memoryKiB = memoryKiB(of: domains[index], at: now)
        domains[index].memoryAt = now
    }

    /// A non-negative amount of KiB, rounded down and saturating.
    private func kibibytes(_ value: Double) -> UInt64 {
        guard value.isFinite, value > 0 else { return value > 0 ? UInt64.max : 0 }
        return value >= Double(UInt64.max) ? UInt64.max : UInt64(value)
    }
}
