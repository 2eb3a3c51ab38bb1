import DispoConfig
import DispoHost

/// Carries out single actions against a host, leaving nothing half-made: a creation that fails at any
/// stage destroys what it made before reporting the error.
///
/// Reads only the domain it works on (``Host/domain(named:)``), never a whole snapshot.
struct ActionRunner: Sendable {
    let host: any Host
    let clock: any HostClock
    /// Stamps the records it writes (creation, release times) so that they never go backwards.
    let coordinator: Coordinator

    /// create -> start -> wait ready -> shrink (``Shrinker``) -> pause, each stage written to the metadata first;
    /// the shrink's measurement is written with `stage=paused` (``MetadataKey/shrink``) and returned.
    func createPreload(name: String, dispid: Int, spec: EffectiveSpec, revision: String) async throws(HostError)
        -> ShrinkRecord
    {
        let metadata = Self.metadata(role: .preload, template: spec.disposableTemplate, revision: revision,
            dispid: dispid, now: coordinator.stamp(clock))
        do {
            _ = try await boot(name, spec: spec, metadata: metadata)
            try await host.updateMetadata(name, [MetadataKey.stage: Stage.ready.rawValue])
            let record = try await Shrinker.shrink(name, maxmem: spec.maxmem, host: host, clock: clock)
            try await host.pause(name)
            try await host.updateMetadata(
                name, [MetadataKey.stage: Stage.paused.rawValue, MetadataKey.shrink: record.metadataValue])
            return record
        } catch {
            await removeQuietly(name, dispid: dispid)
            throw error
        }
    }

    /// create -> start -> wait ready, for a named disposable.
    func startNamed(name: String, spec: EffectiveSpec, revision: String) async throws(HostError) {
        let metadata = Self.metadata(role: .named, template: spec.disposableTemplate, revision: revision, dispid: nil,
            now: coordinator.stamp(clock))
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
        if let domain = try await host.domain(named: name), domain.power == .running {
            try await host.shutdown(name)
            let deadline = clock.now() + grace
            while clock.now() < deadline {
                guard let current = try await host.domain(named: name), current.power == .running else {
                    break
                }
                do { try await clock.sleep(until: clock.now() + 0.2) } catch { break }
            }
        }
        try await destroy(name: name)
    }

    /// Destroys a domain and remembers its dispid as released (not reused for 7 days).
    func destroy(name: String) async throws(HostError) {
        let dispid = try await host.domain(named: name)?.metadata[MetadataKey.dispid].flatMap(Int.init)
        do {
            try await host.destroy(name)
        } catch where error.code == .notFound {
            return
        }
        if let dispid { try await markReleased(dispid) }
    }

    /// Relabels a disposable as used (unnamed, stage used) and writes the host-wide record of the use
    /// (``UseRecord``: what the refill delay counts from; empty when this use does not change it).
    func markUsed(_ name: String, useRecord: [String: String?]) async throws(HostError) {
        try await host.updateMetadata(name, Self.usedRecord)
        guard !useRecord.isEmpty else { return }
        try await host.updateHostMetadata(useRecord)
        let now = clock.now()
        for case (let key, let record?) in useRecord { coordinator.noteUse(key: key, record: record, at: now) }
    }

    /// The record of a used unnamed disposable (what a hand-out writes once the domain runs).
    static let usedRecord: [String: String?] = [
        MetadataKey.role: Role.unnamed.rawValue, MetadataKey.stage: Stage.used.rawValue,
    ]

    /// Records a released dispid (not reused for 7 days; the reconciler forgets expired ones).
    private func markReleased(_ dispid: Int) async throws(HostError) {
        try await host.updateHostMetadata([HostMetadataKey.releasedPrefix + String(dispid): String(coordinator.stamp(clock))])
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
