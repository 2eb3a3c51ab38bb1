import DispoHost

/// Whether dispo may change the domain of a name, from what libxl and dispo's record say about it: the rule of
/// ``XenHost`` (a record saying `owner=dispo` that names the live domain's UUID, or a record with no domain).
enum Ownership {
    /// The record, when dispo may change the domain.
    ///
    /// ``HostError/Code/notFound`` when neither a domain nor a record exists; ``HostError/Code/notOwned`` when the
    /// record is missing, lacks `owner=dispo`, or names another UUID than the live domain's.
    static func check(_ name: String, live: LiveDomain?, entry: MetadataEntry?) throws(HostError) -> MetadataEntry {
        guard let entry else {
            if live != nil {
                throw HostError(
                    .notOwned, domain: name, "dispo did not make this domain (no record); it leaves it alone")
            }
            throw HostError(.notFound, domain: name, "no such domain")
        }
        guard entry.isOwned else {
            throw HostError(.notOwned, domain: name, "its record lacks owner=dispo; dispo leaves it alone")
        }
        if let live, !entry.describes(live) {
            throw HostError(
                .notOwned, domain: name,
                "the domain with this name has UUID \(live.uuid), not \(entry.uuid) that dispo made; dispo leaves it alone"
            )
        }
        return entry
    }
}
