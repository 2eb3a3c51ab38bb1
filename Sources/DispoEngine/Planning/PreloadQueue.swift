package import DispoConfig
package import DispoHost

/// "A ready preload of template T, oldest first", defined once for the planner, the broker and the use record.
package enum PreloadQueue {
    /// A preload waiting in a queue: made by dispo, role preload, stage paused, and paused (never handed out).
    package static func isReady(_ domain: Domain) -> Bool {
        domain.isOwned && domain.metadata[MetadataKey.role] == Role.preload.rawValue
            && domain.metadata[MetadataKey.stage] == Stage.paused.rawValue && domain.power == .paused
    }

    /// Queue order: by recorded creation time, then domid, then name (oldest first).
    package static func precedes(_ lhs: Domain, _ rhs: Domain) -> Bool {
        (created(lhs), lhs.domid, lhs.name) < (created(rhs), rhs.domid, rhs.name)
    }

    /// The ready preloads of `template` in `snapshot`, oldest first.
    package static func queue(of template: String, in snapshot: HostSnapshot) -> [Domain] {
        snapshot.domains.filter { isReady($0) && $0.metadata[MetadataKey.template] == template }.sorted(by: precedes)
    }

    /// The recorded creation time (wall clock), 0 when missing.
    package static func created(_ domain: Domain) -> Double {
        domain.metadata[MetadataKey.created].flatMap(Double.init) ?? 0
    }
}

/// The host-wide record of a use of a disposable template (`lastuse.<template>`), which the refill delay counts
/// from, as Qubes counts it:
///
/// - delay ≥ 0: the first use since the newest ready preload was made (a burst of uses does not push the refill
///   back with every request);
/// - delay < 0: the same while the queue is not empty (it says a use happened, so refill waits until the queue
///   is empty), then the use that emptied it (|delay| counts from there).
package enum UseRecord {
    /// What to merge into the host metadata for a use of `template` at `stamp` (wall clock), as `snapshot` shows
    /// the queue before it; `taking` is the preload this use takes from the queue, if any. Empty: nothing to record.
    package static func update(
        template: String, snapshot: HostSnapshot, taking: String?, delay: Interval?, at stamp: Double
    ) -> [String: String?] {
        let key = HostMetadataKey.lastUsePrefix + template
        let queue = PreloadQueue.queue(of: template, in: snapshot)
        if delay?.isNegative == true, queue.allSatisfy({ $0.name == taking }) { return [key: String(stamp)] }
        let newest = queue.map(PreloadQueue.created).max() ?? 0
        if let pending = snapshot.metadata[key].flatMap(Double.init), pending > newest { return [:] }
        return [key: String(stamp)]
    }
}
