import DispoConfig
import DispoHost

/// Carries out single actions against a host, leaving nothing half-made: a creation that fails at any
/// stage destroys what it made before reporting the error.
struct ActionRunner: Sendable {
    let host: any Host
    let clock: any HostClock

    /// create -> start -> wait ready -> shrink -> pause, each stage written to the metadata first.
    func createPreload(name: String, dispid: Int, spec: EffectiveSpec, revision: String) async throws(HostError)
        -> Shrinker.Outcome
    {
        let metadata = Self.metadata(role: .preload, template: spec.disposableTemplate, revision: revision,
            dispid: dispid, now: clock.now())
        do {
            _ = try await boot(name, spec: spec, metadata: metadata)
            try await host.updateMetadata(name, [MetadataKey.stage: Stage.ready.rawValue])
            let outcome = try await Shrinker.shrink(name, to: spec.memory, host: host, clock: clock)
            try await host.pause(name)
            try await host.updateMetadata(name, [MetadataKey.stage: Stage.paused.rawValue])
            return outcome
        } catch {
            await removeQuietly(name, dispid: dispid)
            throw error
        }
    }

    /// create -> start -> wait ready, for a named disposable.
    func startNamed(name: String, spec: EffectiveSpec, revision: String) async throws(HostError) {
        let metadata = Self.metadata(role: .named, template: spec.disposableTemplate, revision: revision, dispid: nil,
            now: clock.now())
        do {
            _ = try await boot(name, spec: spec, metadata: metadata)
            try await host.updateMetadata(name, [MetadataKey.stage: Stage.ready.rawValue])
        } catch {
            await removeQuietly(name, dispid: nil)
            throw error
        }
    }

    /// create (paused, `metadata` written first) -> stage starting -> unpause -> wait ready. Leaves what it made
    /// on failure: the caller removes it.
    func boot(_ name: String, spec: EffectiveSpec, metadata: [String: String]) async throws(HostError) -> Domain {
        let domain = try await host.create(CreateRequest(name: name, spec: spec, metadata: metadata))
        try await host.updateMetadata(name, [MetadataKey.stage: Stage.starting.rawValue])
        try await host.unpause(name)
        try await host.waitReady(name, readiness: spec.ready, timeout: spec.ready?.timeout ?? Readiness.defaultTimeout)
        return domain
    }

    /// Asks the guest to power off, waits up to `grace` seconds, then destroys it.
    func stop(name: String, grace: Double = 10) async throws(HostError) {
        if let domain = try await host.snapshot().domain(named: name), domain.power == .running {
            try await host.shutdown(name)
            let deadline = clock.now() + grace
            while clock.now() < deadline {
                guard let current = try await host.snapshot().domain(named: name), current.power == .running else {
                    break
                }
                do { try await clock.sleep(until: clock.now() + 0.2) } catch { break }
            }
        }
        try await destroy(name: name)
    }

    /// Destroys a domain and remembers its dispid as released (not reused for 7 days).
    func destroy(name: String) async throws(HostError) {
        let dispid = try await host.snapshot().domain(named: name)?.metadata[MetadataKey.dispid].flatMap(Int.init)
        do {
            try await host.destroy(name)
        } catch where error.code == .notFound {
            return
        }
        if let dispid { try await markReleased(dispid) }
    }

    /// Relabels a preload unpaused outside dispo as a used unnamed disposable, and counts it as a use.
    func adopt(_ domain: Domain) async throws(HostError) {
        try await markUsed(domain.name, template: domain.metadata[MetadataKey.template] ?? "")
    }

    /// Relabels a disposable as used (unnamed, stage used) and records the use for the refill delay.
    ///
    /// As in Qubes, the refill follows `delay` after a use — the first use since the queue was last refilled,
    /// not the last use of a burst (which would push the refill back with every request).
    /// `useRecord` is the use as ``useRecord(template:snapshot:now:)`` gave it already; nil reads the host for it.
    func markUsed(_ name: String, template: String, useRecord: [String: String?]? = nil) async throws(HostError) {
        try await host.updateMetadata(name, Self.usedRecord)
        var update = useRecord ?? [:]
        if useRecord == nil {
            update = Self.useRecord(template: template, snapshot: try await host.snapshot(), now: clock.now())
        }
        if !update.isEmpty { try await host.updateHostMetadata(update) }
    }

    /// The host-wide metadata that records a use of `template` at `now`: the use time, unless a use since the
    /// newest ready preload was made is already recorded (then nothing).
    static func useRecord(template: String, snapshot: HostSnapshot, now: Double) -> [String: String?] {
        let key = HostMetadataKey.lastUsePrefix + template
        let newest = snapshot.domains.filter {
            $0.metadata[MetadataKey.role] == Role.preload.rawValue && $0.metadata[MetadataKey.template] == template
                && $0.metadata[MetadataKey.stage] == Stage.paused.rawValue
        }.compactMap { $0.metadata[MetadataKey.created].flatMap(Double.init) }.max() ?? 0
        if let pending = snapshot.metadata[key].flatMap(Double.init), pending > newest { return [:] }
        return [key: String(now)]
    }

    /// The record of a used unnamed disposable (what a hand-out writes once the domain runs).
    static let usedRecord: [String: String?] = [
        MetadataKey.role: Role.unnamed.rawValue, MetadataKey.stage: Stage.used.rawValue,
    ]

    /// Records a released dispid, and forgets ones released more than 7 days ago (they may be reused).
    private func markReleased(_ dispid: Int) async throws(HostError) {
        let now = clock.now()
        var update: [String: String?] = [HostMetadataKey.releasedPrefix + String(dispid): String(now)]
        let released = DispidAllocator.released(try await host.snapshot().metadata)
        for (old, at) in released where now - at >= DispidAllocator.reuseWindow && old != dispid {
            update[HostMetadataKey.releasedPrefix + String(old)] = .some(nil)
        }
        try await host.updateHostMetadata(update)
    }

    private func removeQuietly(_ name: String, dispid: Int?) async {
        do {
            try await host.destroy(name)
        } catch {
            // Nothing was made, or it is already gone.
        }
        if let dispid { try? await markReleased(dispid) }
    }

    static func metadata(role: Role, template: String, revision: String, dispid: Int?, now: Double) -> [String: String] {
        var metadata = [
            MetadataKey.owner: MetadataKey.ownerValue, MetadataKey.role: role.rawValue, MetadataKey.template: template,
            MetadataKey.revision: revision, MetadataKey.stage: Stage.creating.rawValue,
            MetadataKey.created: String(now),
        ]
        if let dispid { metadata[MetadataKey.dispid] = String(dispid) }
        return metadata
    }
}
