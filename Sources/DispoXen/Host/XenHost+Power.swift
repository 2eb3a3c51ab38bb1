public import DispoConfig
public import DispoHost

extension XenHost {
    /// `libxl_domain_unpause`; the first unpause of a new domain boots it.
    public func unpause(_ name: String) async throws(HostError) {
        try Self.validate(name)
        try await worker.run { session throws(HostError) in
            let domain = try session.ownedLive(name, in: [.paused], to: "unpause")
            try session.libxl.unpause(domain.domid, name: name)
        }
    }

    /// `libxl_domain_pause`.
    public func pause(_ name: String) async throws(HostError) {
        try Self.validate(name)
        try await worker.run { session throws(HostError) in
            let domain = try session.ownedLive(name, in: [.running], to: "pause")
            try session.libxl.pause(domain.domid, name: name)
        }
    }

    /// `libxl_set_memory_target` (absolute, enforced); refused above the domain's maxmem.
    public func setMemoryTarget(_ name: String, _ target: Size) async throws(HostError) {
        try Self.validate(name)
        try await worker.run { session throws(HostError) in
            let domain = try session.ownedLive(name, in: [.running, .paused], to: "set the memory target of")
            guard target.kibibytes <= domain.maxKiB else {
                throw HostError(
                    .invalidState, domain: name,
                    "memory target \(target) is above maxmem \(Size(kibibytes: domain.maxKiB))")
            }
            try session.libxl.setMemoryTarget(domain.domid, kibibytes: target.kibibytes, name: name)
        }
    }

    /// `libxl_domain_shutdown`: asks a running guest (through its PV control node) to power off; it is `halted`
    /// from when it has until destroyed. A halted domain (or a bare record) stays halted; a paused guest cannot
    /// answer (the request would wait for its next unpause), so it is refused, like a crashed one.
    public func shutdown(_ name: String) async throws(HostError) {
        try Self.validate(name)
        try await worker.run { session throws(HostError) in
            let (live, _) = try session.owned(name)
            guard let domain = live, domain.flags.power != .halted else { return }
            guard domain.flags.power == .running else {
                throw XenSession.refusal(name, domain.flags.power, to: "shut down")
            }
            try session.libxl.shutdown(domain.domid, name: name)
        }
    }
}
