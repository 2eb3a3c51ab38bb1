import DispoHost

/// dispo's records in xenstore (see ``XenstorePaths``), read and written through one connection.
struct MetadataStore {
    let store: Xenstore
    let paths: XenstorePaths

    /// Creates the root, `domains` and `host` nodes when missing and makes each `n0` (dom0 only).
    func prepare() throws(HostError) {
        try store.transaction { transaction throws(HostError) in
            for path in [paths.root, paths.domains, paths.host] {
                try store.makeDirectory(path, in: transaction)
                try store.restrictToDom0(path, in: transaction)
            }
        }
    }

    /// Every domain record, by (unescaped) name, read in one transaction.
    func domains() throws(HostError) -> [String: MetadataEntry] {
        try store.transaction { transaction throws(HostError) in
            var entries: [String: MetadataEntry] = [:]
            for component in try store.directory(paths.domains, in: transaction) {
                guard let name = XenstorePaths.unescape(component) else { continue }
                if let entry = try entry(name, in: transaction) { entries[name] = entry }
            }
            return entries
        }
    }

    /// The record of `name`; nil when there is none.
    func entry(_ name: String, in transaction: Xenstore.Transaction = Xenstore.none) throws(HostError)
        -> MetadataEntry?
    {
        let node = paths.domain(name)
        guard let uuid = try store.read(node, in: transaction) else { return nil }
        return MetadataEntry(uuid: uuid, values: try values(under: node, in: transaction))
    }

    /// The record of `name`, read in one transaction; nil when there is none.
    func record(_ name: String) throws(HostError) -> MetadataEntry? {
        try store.transaction { transaction throws(HostError) in try entry(name, in: transaction) }
    }

    /// Host-wide metadata.
    func host() throws(HostError) -> [String: String] {
        try store.transaction { transaction throws(HostError) in try values(under: paths.host, in: transaction) }
    }

    /// Writes a new record for `name` (value `uuid`, `n0`) with `values`, atomically; ``HostError/Code/alreadyExists``
    /// when a record of that name exists (so two creators of one name cannot both proceed).
    func claim(_ name: String, uuid: String, values: [String: String]) throws(HostError) {
        let node = paths.domain(name)
        try store.transaction { transaction throws(HostError) in
            guard try store.read(node, in: transaction) == nil else {
                throw HostError(
                    .alreadyExists, domain: name, "dispo already has a record of a domain with this name (\(node))")
            }
            try store.write(node, uuid, in: transaction)
            try store.restrictToDom0(node, in: transaction)
            for (key, value) in values { try store.write(paths.domain(name, key: key), value, in: transaction) }
        }
    }

    /// Merges `values` into the record of `name` if it holds every pair of `expected`; returns whether it did.
    /// ``HostError/Code/notFound`` without a record, ``HostError/Code/notOwned`` when it lacks `owner=dispo`.
    func merge(_ name: String, _ values: [String: String?], ifMatching expected: [String: String] = [:])
        throws(HostError) -> Bool
    {
        try store.transaction { transaction throws(HostError) in
            guard let entry = try entry(name, in: transaction) else {
                throw HostError(.notFound, domain: name, "no domain dispo made has this name")
            }
            guard entry.isOwned else {
                throw HostError(.notOwned, domain: name, "its record lacks owner=dispo; dispo leaves it alone")
            }
            guard expected.allSatisfy({ entry.values[$0.key] == $0.value }) else { return false }
            try write(values, under: name, in: transaction)
            return true
        }
    }

    /// The claim of a hand-out, in one transaction that reads only what it checks: when the record of `name` is
    /// owned and holds every pair of `expected`, writes `values` (and `host` into the host-wide metadata) and
    /// returns the record's UUID; nil (nothing written) when a pair differs. ``HostError/Code/notFound`` without a record, ``HostError/Code/notOwned``
    /// without `owner=dispo`.
    func claim(
        _ name: String, _ values: [String: String?], ifMatching expected: [String: String], host: [String: String?]
    ) throws(HostError) -> String?
    {
        let node = paths.domain(name)
        return try store.transaction { transaction throws(HostError) in
            guard let uuid = try store.read(node, in: transaction) else {
                throw HostError(.notFound, domain: name, "no domain dispo made has this name")
            }
            guard try store.read(paths.domain(name, key: MetadataKey.owner), in: transaction) == MetadataKey.ownerValue
            else {
                throw HostError(.notOwned, domain: name, "its record lacks owner=dispo; dispo leaves it alone")
            }
            for (key, value) in expected {
                guard try store.read(paths.domain(name, key: key), in: transaction) == value else { return nil }
            }
            try write(values, under: name, in: transaction)
            try writeHost(host, in: transaction)
            return uuid
        }
    }

    /// Merges `values` into the record of `name` without reading anything, for a record the caller holds (e.g.
    /// claimed by ``claim(_:_:ifMatching:host:)``): one key is one write, more are one transaction.
    func write(_ name: String, _ values: [String: String?]) throws(HostError) {
        if values.count == 1 {
            try write(values, under: name, in: Xenstore.none)
        } else {
            try store.transaction { transaction throws(HostError) in try write(values, under: name, in: transaction) }
        }
    }

    private func write(_ values: [String: String?], under name: String, in transaction: Xenstore.Transaction)
        throws(HostError)
    {
        for (key, value) in values {
            let path = paths.domain(name, key: key)
            if let value { try store.write(path, value, in: transaction) } else { try store.remove(path, in: transaction) }
        }
    }

    /// Merges `values` into the host-wide metadata (nil removes a key).
    func mergeHost(_ values: [String: String?]) throws(HostError) {
        try store.transaction { transaction throws(HostError) in try writeHost(values, in: transaction) }
    }

    private func writeHost(_ values: [String: String?], in transaction: Xenstore.Transaction) throws(HostError) {
        for (key, value) in values {
            let path = paths.host(key: key)
            if let value { try store.write(path, value, in: transaction) } else { try store.remove(path, in: transaction) }
        }
    }

    /// Removes the record of `name`.
    func remove(_ name: String) throws(HostError) {
        try store.remove(paths.domain(name))
    }

    private func values(under node: String, in transaction: Xenstore.Transaction) throws(HostError) -> [String: String] {
        var values: [String: String] = [:]
        for component in try store.directory(node, in: transaction) {
            guard let key = XenstorePaths.unescape(component),
                let value = try store.read(node + "/" + component, in: transaction)
            else { continue }
            values[key] = value
        }
        return values
    }
}
