public import DispoConfig

/// Which `admin.Events` may be drift of what dispo keeps, so that the Qubes controller re-plans on them and not
/// on qubesd's own bustle (its preload queue, a qube's xid on every start). Level-based like the rest: a pass
/// reads everything afresh, so letting an event through costs one read, missing one waits for the resync.
///
/// Passed: on a watched qube (declared, or in dispo's index) a set/reset/deleted property that dispo manages,
/// a feature dispo manages, any tag, and its start or shutdown (a named disposable's `state`); on dom0 or the
/// whole system (subject empty) a global property dispo sets, a System feature or dispo's index, and a watched
/// qube added or removed (`domain-add`/`domain-delete` with `vm=`).
public struct QubesEventFilter: Sendable, Hashable {
    /// The qubes whose own events count.
    public var watched: Set<String>
    /// The property names dispo sets on a qube.
    public var properties: Set<String>

    /// Per-qube features dispo manages (qubesd's `preload-dispvm` queue list is not one).
    static let qubeFeatures: Set<String> = [
        QubesVocabulary.preloadMax, QubesVocabulary.preloadDelay, QubesVocabulary.revisionFeature,
        QubesVocabulary.tagsFeature,
    ]
    /// dom0's features dispo manages.
    static let dom0Features: Set<String> = [
        QubesVocabulary.preloadMax, QubesVocabulary.preloadThreshold, QubesVocabulary.indexFeature,
        QubesVocabulary.systemFeature,
    ]
    /// Global properties dispo sets.
    static let globalProperties: Set<String> = ["default_dispvm"]

    public init(watched: Set<String>, properties: Set<String>) {
        self.watched = watched
        self.properties = properties
    }

    /// The declared qubes and those of `index` (dispo's own, to be pruned when undeclared), with every property
    /// the config makes dispo set (and the template and label qubes are made with).
    public init(desired: DesiredState, index: Set<String> = []) {
        let qubes = DesiredQube.all(in: desired)
        var properties: Set<String> = ["template", "label"]
        for qube in qubes.values { properties.formUnion(qube.properties.map(\.name)) }
        self.init(
            watched: Set(desired.disposableTemplates.keys).union(desired.namedDisposables.keys).union(index),
            properties: properties)
    }

    /// True when `event` may mean that what dispo keeps changed.
    public func isRelevant(_ event: AdminEvent) -> Bool {
        let (kind, key) = Self.split(event.name)
        if event.subject.isEmpty || event.subject == "dom0" {
            switch kind {
            case "domain-add", "domain-delete":
                return event.arguments["vm"].map(watched.contains) ?? false
            case "property-set", "property-reset", "property-del":
                return key.map(Self.globalProperties.contains) ?? false
            case "domain-feature-set", "domain-feature-delete":
                return event.subject == "dom0" && (key.map(Self.dom0Features.contains) ?? false)
            default:
                return false
            }
        }
        guard watched.contains(event.subject) else { return false }
        switch kind {
        case "property-set", "property-reset", "property-del":
            return key.map(properties.contains) ?? false
        case "domain-feature-set", "domain-feature-delete":
            return key.map(Self.qubeFeatures.contains) ?? false
        case "domain-tag-add", "domain-tag-delete", "domain-start", "domain-shutdown":
            return true
        default:
            return false
        }
    }

    /// `property-set:memory` -> (`property-set`, `memory`); `domain-start` -> (`domain-start`, nil).
    static func split(_ name: String) -> (String, String?) {
        guard let colon = name.firstIndex(of: ":") else { return (name, nil) }
        return (String(name[..<colon]), String(name[name.index(after: colon)...]))
    }
}
