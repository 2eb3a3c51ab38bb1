public import DispoHost

/// The state bits of a `libxl_dominfo`, as plain values.
public struct DomainFlags: Sendable, Hashable {
    public var running: Bool
    public var blocked: Bool
    public var paused: Bool
    public var shutdown: Bool
    public var dying: Bool
    /// True when the domain shut down because it crashed (`LIBXL_SHUTDOWN_REASON_CRASH`).
    public var crashed: Bool

    public init(
        running: Bool = false, blocked: Bool = false, paused: Bool = false, shutdown: Bool = false,
        dying: Bool = false, crashed: Bool = false
    ) {
        self.running = running
        self.blocked = blocked
        self.paused = paused
        self.shutdown = shutdown
        self.dying = dying
        self.crashed = crashed
    }

    /// The power state dispo sees: a crash shutdown is `.crashed`, any other shutdown or dying is `.halted`,
    /// then paused is `.paused`, and anything else (running, blocked, or neither) is `.running`.
    ///
    /// Shutdown wins over paused: a domain that stopped while paused (or is being torn down) is no longer one
    /// that an unpause would resume.
    public var power: PowerState {
        if shutdown && crashed { return .crashed }
        if shutdown || dying { return .halted }
        if paused { return .paused }
        return .running
    }
}

/// One domain as libxl lists it (dom0 excluded), with its name.
public struct LiveDomain: Sendable, Hashable {
    public var name: String
    public var uuid: String
    public var domid: UInt32
    public var flags: DomainFlags
    /// Memory the domain holds now (`current_memkb`).
    public var currentKiB: UInt64
    /// Its ceiling (`max_memkb`).
    public var maxKiB: UInt64

    public init(name: String, uuid: String, domid: UInt32, flags: DomainFlags, currentKiB: UInt64, maxKiB: UInt64) {
        self.name = name
        self.uuid = uuid
        self.domid = domid
        self.flags = flags
        self.currentKiB = currentKiB
        self.maxKiB = maxKiB
    }
}
