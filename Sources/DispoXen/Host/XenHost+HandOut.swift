public import DispoHost

extension XenHost {
    /// The hand-out as one job on its own thread (``handOutWorker``): the claim and the host-wide record in one
    /// xenstore transaction that reads only what it checks; `libxl_domain_unpause` of the domid the snapshot gave
    /// when the record still names the snapshot's UUID (else the domain is looked up by name and checked first; a
    /// domid is only reused after some 32,000 creations, far beyond the age of a view);
    /// then the `used` record (a single write when it is one key).
    public func handOut(_ request: HandOutRequest) async throws(HostError) -> HandOutOutcome {
        try Self.validate(request.name)
        return try await handOutWorker.run { session throws(HostError) in try session.handOut(request) }
    }
}

extension XenSession {
    func handOut(_ request: HandOutRequest) throws(HostError) -> HandOutOutcome {
        let name = request.name
        trace("xen.job")
        guard let uuid = try metadata.claim(name, request.claim, ifMatching: request.expected, host: request.hostMetadata)
        else {
            return .notMatching
        }
        trace("xen.claimed")
        if let domid = request.domid.flatMap({ UInt32(exactly: $0) }), request.uuid == uuid,
            (try? libxl.unpause(domid, name: name)) != nil
        {
            trace("xen.unpaused")
        } else {
            // The snapshot's domid is stale, or the unpause failed: find out what the domain is now.
            guard let domid = libxl.domid(of: name), let live = libxl.domain(domid, named: name), live.uuid == uuid else {
                return .notPaused(.halted)
            }
            guard live.flags.power == .paused else { return .notPaused(live.flags.power) }
            try libxl.unpause(live.domid, name: name)
        }
        try metadata.write(name, request.used)
        trace("xen.written")
        return .handedOut
    }
}
