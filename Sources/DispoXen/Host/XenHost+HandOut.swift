public import DispoHost

extension XenHost {
    /// The hand-out as one job on its own thread (``handOutWorker``): the claim and the host-wide record in one
    /// xenstore transaction that reads only what it checks (none when there is nothing to check or write and the
    /// UUID is known: the controller's own queue); `libxl_domain_unpause` of the domid the snapshot gave
    /// when the record still names the snapshot's UUID (else the domain is looked up by name and checked first; a
    /// domid is only reused after some 32,000 creations, far beyond the age of a view); then the `used` record,
    /// if any (a single write when it is one key).
    public func handOut(_ request: HandOutRequest) async throws(HostError) -> HandOutOutcome {
        try Self.validate(request.name)
        return try await handOutWorker.run { session throws(HostError) in try session.handOut(request) }
    }
}

extension XenSession {
    func handOut(_ request: HandOutRequest) throws(HostError) -> HandOutOutcome {
        let name = request.name
        let uuid: String
        if request.expected.isEmpty, request.claim.isEmpty, request.hostMetadata.isEmpty, let known = request.uuid {
            uuid = known  // nothing to check or write: the caller owns the domain (the controller's own queue)
        } else {
            let claimed: String?
            do {
                claimed = try metadata.claim(
                    name, request.claim, ifMatching: request.expected, host: request.hostMetadata)
            } catch where error.code == .notFound {
                _ = try Ownership.check(name, live: live(name), entry: nil)  // a domain without a record: not owned
                throw error
            }
            guard let claimed else { return .notMatching }
            uuid = claimed
        }
        let unpausedByDomid =
            request.uuid == uuid
            && request.domid.flatMap { UInt32(exactly: $0) }.map { (try? libxl.unpause($0, name: name)) != nil } == true
        if !unpausedByDomid {
            // The snapshot's domid is stale, or the unpause failed: find out what the domain is now.
            guard let live = live(name), live.uuid == uuid else { return .notPaused(.halted) }
            guard live.flags.power == .paused else { return .notPaused(live.flags.power) }
            try libxl.unpause(live.domid, name: name)
        }
        if !request.used.isEmpty { try metadata.write(name, request.used) }
        return .handedOut
    }
}
