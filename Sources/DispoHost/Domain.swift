public import DispoConfig

/// A domain's power state as the hypervisor reports it.
public enum PowerState: String, Sendable, Hashable, Codable, CaseIterable {
    case running, paused
    /// Shut down but not yet destroyed (Xen keeps the domain until the toolstack reaps it).
    case halted
    case crashed
}

/// One domain on the host, as seen in a snapshot.
public struct Domain: Sendable, Hashable {
    public var name: String
    public var uuid: String
    public var domid: Int
    public var power: PowerState
    /// Memory the domain holds now (on Xen: the pages it has, libxl's `current_memkb`, not its balloon target).
    public var memory: Size
    public var maxmem: Size
    /// dispo's metadata (see ``MetadataKey``); empty for domains dispo did not make.
    public var metadata: [String: String]
    /// The memory the guest says it uses (Qubes' meminfo, see ``GuestMemoryReport``), or nil when it has not said.
    ///
    /// Untrusted guest input: backends parse it with ``GuestMemoryReport/parse(_:)``, so a value that is not a plain
    /// bounded number is nil too ("not reported"). dispo uses it only to size that same guest (the shrink before a
    /// preload is paused), never to decide anything about another domain. Backends that leave memory to someone
    /// else (Qubes: qmemman) report nil.
    public var reportedUse: Size?

    public init(
        name: String, uuid: String, domid: Int, power: PowerState, memory: Size, maxmem: Size,
        metadata: [String: String] = [:], reportedUse: Size? = nil
    ) {
        self.name = name
        self.uuid = uuid
        self.domid = domid
        self.power = power
        self.memory = memory
        self.maxmem = maxmem
        self.metadata = metadata
        self.reportedUse = reportedUse
    }

    /// True when dispo made this domain (`owner=dispo`); dispo touches no other.
    public var isOwned: Bool { metadata[MetadataKey.owner] == MetadataKey.ownerValue }
}

/// Everything dispo reads from a host at one moment.
public struct HostSnapshot: Sendable, Hashable {
    public var domains: [Domain]
    /// Memory not held by any domain, available for new ones.
    public var freeMemory: Size
    public var totalMemory: Size
    /// Host-wide dispo records (released dispids, last uses, the last reconciled config).
    public var metadata: [String: String]

    public init(domains: [Domain], freeMemory: Size, totalMemory: Size, metadata: [String: String] = [:]) {
        self.domains = domains
        self.freeMemory = freeMemory
        self.totalMemory = totalMemory
        self.metadata = metadata
    }

    public func domain(named name: String) -> Domain? {
        domains.first { $0.name == name }
    }
}

/// Something that happened to a domain, pushed by the host.
public enum HostEvent: Sendable, Hashable {
    case shutdown(String)
    case crashed(String)
    case unpaused(String)
    /// Something changed that needs a fresh snapshot to describe.
    case changed
}

/// What to create: a domain from an effective spec, with dispo's metadata written before it exists.
public struct CreateRequest: Sendable, Hashable {
    public var name: String
    public var spec: EffectiveSpec
    public var metadata: [String: String]

    public init(name: String, spec: EffectiveSpec, metadata: [String: String]) {
        self.name = name
        self.spec = spec
        self.metadata = metadata
    }
}
