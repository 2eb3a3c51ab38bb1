import DispoConfig
public import DispoHost

/// One domain's record under `<root>/domains/<name>`: the UUID dispo chose for it and its metadata.
public struct MetadataEntry: Sendable, Hashable {
    /// The UUID the domain was (or is being) created with; empty when unknown.
    public var uuid: String
    /// The metadata keys and values (``MetadataKey``).
    public var values: [String: String]

    public init(uuid: String, values: [String: String]) {
        self.uuid = uuid
        self.values = values
    }

    /// Whether the record says `owner=dispo`.
    public var isOwned: Bool { values[MetadataKey.owner] == MetadataKey.ownerValue }

    /// Whether this record describes `domain`: same UUID (or no UUID recorded).
    public func describes(_ domain: LiveDomain) -> Bool { uuid.isEmpty || uuid == domain.uuid }
}

/// Builds the domains of a snapshot from what libxl lists and what dispo's xenstore records hold.
public enum SnapshotAssembly {
    /// The live domains (in domid order) with their metadata, then one entry per record that names no live
    /// domain (sorted by name).
    ///
    /// A record without a domain is what a crash between writing the metadata and creating the domain (or between
    /// destroying it and removing the record) leaves: it is reported as a halted domain with domid -1 and no
    /// memory, so the planner cleans it up with `destroy`, which then only removes the record and the files.
    /// A live domain whose name has a record with another UUID is not the one dispo made: it is reported without
    /// metadata (not owned), and that record is hidden behind it.
    public static func domains(live: [LiveDomain], metadata: [String: MetadataEntry]) -> [Domain] {
        var result: [Domain] = []
        var liveNames = Set<String>()
        for domain in live.sorted(by: { $0.domid < $1.domid }) {
            liveNames.insert(domain.name)
            var values: [String: String] = [:]
            if let entry = metadata[domain.name], entry.describes(domain) { values = entry.values }
            result.append(
                Domain(
                    name: domain.name, uuid: domain.uuid, domid: Int(domain.domid), power: domain.flags.power,
                    memory: Size(kibibytes: domain.currentKiB), maxmem: Size(kibibytes: domain.maxKiB),
                    metadata: values))
        }
        for (name, entry) in metadata.sorted(by: { $0.key < $1.key }) where !liveNames.contains(name) {
            result.append(
                Domain(
                    name: name, uuid: entry.uuid, domid: -1, power: .halted, memory: Size(kibibytes: 0),
                    maxmem: Size(kibibytes: 0), metadata: entry.values))
        }
        return result
    }
}
