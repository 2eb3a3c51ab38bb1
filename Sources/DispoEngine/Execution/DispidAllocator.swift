public import DispoHost

/// Picks `disp<N>` identities as Qubes does: random in 0..9999, at most 100 draws, never one in use or
/// released in the last 7 days (kept durably in host metadata, unlike Qubes).
package enum DispidAllocator {
    package static let limit = 10_000
    package static let draws = 100
    package static let reuseWindow: Double = 7 * 24 * 3600

    /// A free dispid, or nil when 100 draws found none.
    package static func allocate(
        inUse: Set<Int>, released: [Int: Double], now: Double, random: any RandomSource
    ) -> Int? {
        for _ in 0..<draws {
            let candidate = random.next(below: limit)
            if inUse.contains(candidate) { continue }
            if let at = released[candidate], now - at < reuseWindow { continue }
            return candidate
        }
        return nil
    }

    /// Dispids held by existing domains: their metadata, and any name of the form `disp<N>`.
    package static func inUse(_ snapshot: HostSnapshot) -> Set<Int> {
        var used: Set<Int> = []
        for domain in snapshot.domains {
            if let id = domain.metadata[MetadataKey.dispid].flatMap(Int.init) { used.insert(id) }
            if let id = dispid(inName: domain.name) { used.insert(id) }
        }
        return used
    }

    /// `released.<dispid>` entries of the host metadata.
    package static func released(_ metadata: [String: String]) -> [Int: Double] {
        var released: [Int: Double] = [:]
        for (key, value) in metadata where key.hasPrefix(HostMetadataKey.releasedPrefix) {
            if let id = Int(key.dropFirst(HostMetadataKey.releasedPrefix.count)), let at = Double(value) {
                released[id] = at
            }
        }
        return released
    }

    package static func dispid(inName name: String) -> Int? {
        guard name.hasPrefix("disp"), name.count > 4 else { return nil }
        return Int(name.dropFirst(4))
    }

    package static func name(_ dispid: Int) -> String { "disp\(dispid)" }
}
