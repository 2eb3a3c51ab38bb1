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
    /// `reports` holds what each live domain's guest wrote as its meminfo report, by domid (raw, untrusted: parsed
    /// here with ``GuestMemoryReport/parse(_:)``).
    public static func domains(
        live: [LiveDomain], metadata: [String: MetadataEntry], reports: [UInt32: String] = [:]
    ) -> [Domain] {
        var result: [Domain] = []
        var liveNames = Set<String>()
        for domain in live.sorted(by: { $0.domid < $1.domid }) {
            liveNames.insert(domain.name)
            result.append(Self.domain(domain, entry: metadata[domain.name], report: reports[domain.domid]))
        }
        for (name, entry) in metadata.sorted(by: { $0.key < $1.key }) where !liveNames.contains(name) {
            result.append(orphan(name, entry))
        }
        return result
    }

    /// The domain `name` as ``domains(live:metadata:)`` shows it, from its live domain and its record (each nil
    /// when there is none); nil when neither exists.
    public static func domain(named name: String, live: LiveDomain?, entry: MetadataEntry?, report: String? = nil)
        -> Domain?
    {
        if let live { return domain(live, entry: entry, report: report) }
        return entry.map { orphan(name, $0) }
    }

    /// A live domain with its record's metadata when the record describes it (same UUID), else none; its memory is
    /// libxl's `current_memkb` (the pages it holds, not its balloon target), its reported use the parsed `report`.
    private static func domain(_ live: LiveDomain, entry: MetadataEntry?, report: String?) -> Domain {
        var values: [String: String] = [:]
        if let entry, entry.describes(live) { values = entry.values }
        return Domain(
            name: live.name, uuid: live.uuid, domid: Int(live.domid), power: live.flags.power,
            memory: Size(kibibytes: live.currentKiB), maxmem: Size(kibibytes: live.maxKiB), metadata: values,
            reportedUse: report.flatMap(GuestMemoryReport.parse))
    }

    /// A record without a domain: halted, domid -1, no memory.
    private static func orphan(_ name: String, _ entry: MetadataEntry) -> Domain {
        Domain(
            name: name, uuid: entry.uuid, domid: -1, power: .halted, memory: Size(kibibytes: 0),
            maxmem: Size(kibibytes: 0), metadata: entry.values)
    }
}
