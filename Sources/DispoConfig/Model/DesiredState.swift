/// Everything a config directory declares, keyed by name, with where each object came from.
public struct DesiredState: Sendable, Hashable {
    public var templates: [String: Template] = [:]
    public var disposableTemplates: [String: DisposableTemplate] = [:]
    public var namedDisposables: [String: NamedDisposable] = [:]
    public var system: SystemSettings?
    /// Declaration sites; not part of what the objects mean, but kept for messages.
    public var origins: [ObjectKey: Origin] = [:]

    public init() {}

    /// Number of objects declared.
    public var count: Int {
        templates.count + disposableTemplates.count + namedDisposables.count + (system == nil ? 0 : 1)
    }

    /// Objects per kind, in ``ObjectKind`` order.
    public var countsByKind: [(ObjectKind, Int)] {
        [
            (.template, templates.count), (.disposableTemplate, disposableTemplates.count),
            (.namedDisposable, namedDisposables.count), (.system, system == nil ? 0 : 1),
        ]
    }

    /// The kind under which `name` is declared, if any (a name may be used by several kinds).
    public func kinds(named name: String) -> [ObjectKind] {
        var kinds: [ObjectKind] = []
        if templates[name] != nil { kinds.append(.template) }
        if disposableTemplates[name] != nil { kinds.append(.disposableTemplate) }
        if namedDisposables[name] != nil { kinds.append(.namedDisposable) }
        return kinds
    }

    /// True when `name` is declared as `kind`.
    public func declares(_ name: String, as kind: ObjectKind) -> Bool {
        switch kind {
        case .template: return templates[name] != nil
        case .disposableTemplate: return disposableTemplates[name] != nil
        case .namedDisposable: return namedDisposables[name] != nil
        case .system: return system != nil
        }
    }

    /// True when both declare the same objects with the same settings (origins are ignored).
    public func sameObjects(as other: DesiredState) -> Bool {
        templates == other.templates && disposableTemplates == other.disposableTemplates
            && namedDisposables == other.namedDisposables && system == other.system
    }
}
