public import DispoHost

extension XenHost {
    /// The hand-out as one job on its own thread (``handOutWorker``): the claim in one xenstore transaction that
    /// reads only what it checks, one `libxl_domain_info` of the domid the snapshot gave (checked against the
    /// record's UUID; looked up by name only when it changed), `libxl_domain_unpause`, then the `used` and
    /// host-wide writes in one transaction.
    public func handOut(_ request: HandOutRequest) async throws(HostError) -> HandOutOutcome {
        try Self.validate(request.name)
        return try await handOutWorker.run { session throws(HostError) in try session.handOut(request) }
    }
}

extension XenSession {
    func handOut(_ request: HandOutRequest) throws(HostError) -> HandOutOutcome {
        let name = request.name
        guard let uuid = try metadata.claim(name, request.claim, ifMatching: request.expected) else {
            return .notMatching
        }
        var live = request.domid.flatMap { UInt32(exactly: $0) }.flatMap { libxl.domain($0, named: name) }
        if live?.uuid != uuid {
            live = libxl.domid(of: name).flatMap { libxl.domain($0, named: name) }
        }
        guard let live, live.uuid == uuid else { return .notPaused(.halted) }
        guard live.flags.power == .paused else { return .notPaused(live.flags.power) }
        try libxl.unpause(live.domid, name: name)
        try metadata.write(name, request.used, host: request.hostMetadata)
        return .handedOut
    }
}
