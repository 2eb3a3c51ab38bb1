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

    /// `libxl_domain_shutdown`: asks the guest (through its PV control node) to power off; a halted domain stays
    /// halted. The domain is then `halted` until destroyed.
    public func shutdown(_ name: String) async throws(HostError) {
        try Self.validate(name)
        try await worker.run { session throws(HostError) in
            let domain = try session.ownedLive(name, in: [.running, .paused, .halted], to: "shut down")
            guard domain.flags.power != .halted else { return }
            try session.libxl.shutdown(domain.domid, name: name)
        }
    }
}
