import DispoHost

/// A dispo-made domain with its metadata read once (the planner looks at each field several times).
struct ObservedDomain {
    var domain: Domain
    var role: Role?
    var template: String
    var stage: Stage?
    var revision: String?
    var created: Double

    init(_ domain: Domain) {
        self.domain = domain
        let metadata = domain.metadata
        role = metadata[MetadataKey.role].flatMap(Role.init(rawValue:))
        template = metadata[MetadataKey.template] ?? ""
        stage = metadata[MetadataKey.stage].flatMap(Stage.init(rawValue:))
        revision = metadata[MetadataKey.revision]
        created = PreloadQueue.created(domain)
    }

    var name: String { domain.name }
    var power: PowerState { domain.power }
    var isDown: Bool { ObservedDomains.isDown(domain) }
}

/// The owned domains of a snapshot, sorted into what the rules need.
struct ObservedDomains {
    /// Every owned preload per template (any stage), oldest first: by creation time, then domid, then name.
    var preloads: [String: [ObservedDomain]] = [:]
    var named: [String: ObservedDomain] = [:]
    var unnamed: [ObservedDomain] = []
    /// Domain names dispo does not own.
    var foreign: Set<String> = []

    init(_ snapshot: HostSnapshot) {
        for domain in snapshot.domains {
            guard domain.isOwned else {
                foreign.insert(domain.name)
                continue
            }
            let observed = ObservedDomain(domain)
            switch observed.role {
            case .preload: preloads[observed.template, default: []].append(observed)
            case .named: named[domain.name] = observed
            case .unnamed, .none: unnamed.append(observed)
            }
        }
        for (template, domains) in preloads {
            preloads[template] = domains.sorted { PreloadQueue.precedes($0.domain, $1.domain) }
        }
        unnamed.sort { $0.name < $1.name }
    }

    static func stage(_ domain: Domain) -> Stage? {
        Stage(rawValue: domain.metadata[MetadataKey.stage] ?? "")
    }

    static func isDown(_ domain: Domain) -> Bool {
        domain.power == .halted || domain.power == .crashed
    }
}
