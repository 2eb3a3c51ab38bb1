public import DispoConfig

/// What a config load changed, object by object (`Kind/name`): for the `config-loaded` event.
package struct ConfigChanges: Sendable {
    var added: [String] = []
    var removed: [String] = []
    var changed: [String] = []

    package init(from old: DesiredState?, to new: DesiredState) {
        let before = Self.objects(old ?? DesiredState())
        let after = Self.objects(new)
        for (key, value) in after {
            if let previous = before[key] {
                if previous != value { changed.append(key) }
            } else {
                added.append(key)
            }
        }
        removed = before.keys.filter { after[$0] == nil }
        added.sort()
        removed.sort()
        changed.sort()
    }

    package var event: ControllerEvent {
        var event = ControllerEvent(.configLoaded)
        event.added = added.isEmpty ? nil : added
        event.removed = removed.isEmpty ? nil : removed
        event.changed = changed.isEmpty ? nil : changed
        return event
    }

    /// Every object keyed `Kind/name`, with a value that compares its settings.
    private static func objects(_ state: DesiredState) -> [String: AnyHashable] {
        var objects: [String: AnyHashable] = [:]
        for (name, value) in state.templates { objects["Template/\(name)"] = value }
        for (name, value) in state.disposableTemplates { objects["DisposableTemplate/\(name)"] = value }
        for (name, value) in state.namedDisposables { objects["NamedDisposable/\(name)"] = value }
        if let system = state.system { objects["System"] = system }
        return objects
    }
}
