import DispoHost

/// The owned domains of a snapshot, sorted into what the rules need.
struct ObservedDomains {
    /// Paused, complete preloads per template, oldest first.
    var queues: [String: [Domain]] = [:]
    /// Every owned preload per template (any stage).
    var preloads: [String: [Domain]] = [:]
    var named: [String: Domain] = [:]
    var unnamed: [Domain] = []
    /// Domain names dispo does not own.
    var foreign: Set<String> = []

    init(_ snapshot: HostSnapshot) {
        for domain in snapshot.domains {
            guard domain.isOwned else {
                foreign.insert(domain.name)
                continue
            }
            let template = domain.metadata[MetadataKey.template] ?? ""
            switch Role(rawValue: domain.metadata[MetadataKey.role] ?? "") {
            case .preload: preloads[template, default: []].append(domain)
            case .named: named[domain.name] = domain
            case .unnamed, .none: unnamed.append(domain)
            }
        }
        for (template, domains) in preloads {
            preloads[template] = domains.sorted(by: Self.oldestFirst)
        }
    }

    static func stage(_ domain: Domain) -> Stage? {
        Stage(rawValue: domain.metadata[MetadataKey.stage] ?? "")
    }

    static func created(_ domain: Domain) -> Double {
        Double(domain.metadata[MetadataKey.created] ?? "") ?? 0
    }

    /// Queue order: by creation time, then domid, then name.
    static func oldestFirst(_ a: Domain, _ b: Domain) -> Bool {
        (created(a), a.domid, a.name) < (created(b), b.domid, b.name)
    }

    static func isDown(_ domain: Domain) -> Bool {
        domain.power == .halted || domain.power == .crashed
    }
}
