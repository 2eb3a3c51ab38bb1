import DispoYAML

/// Assembles decoded objects into a ``DesiredState`` and runs the checks that span objects:
/// duplicates, references, memory limits, netvm loops.
struct Validator {
    private(set) var diagnostics: [Diagnostic] = []
    /// The names of each kind, lowercased and bucketed once for "did you mean" (see ``SuggestionIndex``).
    private var suggestionIndexes: [ObjectKind: SuggestionIndex] = [:]
    /// Name comparisons still allowed for "did you mean": a config with thousands of dangling references
    /// among thousands of names gets hints for the first ones and none after, so that validation stays linear.
    private var suggestionBudget = Validator.suggestionBudget
    static let suggestionBudget = 20_000

    mutating func assemble(_ objects: consuming [(DecodedObject, Origin)]) -> DesiredState {
        var state = DesiredState()
        state.origins.reserveCapacity(objects.count)
        objects.reverse()
        while let (object, origin) = objects.popLast() {
            let key = object.key
            if let first = state.origins[key] {
                let what = key.kind == .system ? "a second System (at most one is allowed)" : "duplicate \(key)"
                let message = "\(what); first declared at \(first.location(of: "name"))"
                add(.error, message, at: origin.mark(of: "name"), origin)
                continue
            }
            state.origins[key] = origin
            switch object {
            case .template(let value): state.templates[value.name] = value
            case .disposableTemplate(let value): state.disposableTemplates[value.name] = value
            case .namedDisposable(let value): state.namedDisposables[value.name] = value
            case .system(let value): state.system = value
            }
        }
        checkReferences(state)
        checkMemory(state)
        checkNetVMs(state)
        return state
    }

    /// In name order, so that the "did you mean" budget goes to the same references every time.
    private mutating func checkReferences(_ state: DesiredState) {
        for dvm in state.disposableTemplates.values.sorted(by: { $0.name < $1.name }) {
            reference(dvm.template, to: .template, from: ObjectKey(.disposableTemplate, dvm.name), key: "template", state)
        }
        for named in state.namedDisposables.values.sorted(by: { $0.name < $1.name }) {
            reference(
                named.template, to: .disposableTemplate, from: ObjectKey(.namedDisposable, named.name), key: "template",
                state)
        }
        if let system = state.system {
            if let name = system.defaultDispVM {
                reference(name, to: .disposableTemplate, from: ObjectKey(.system, ""), key: "default_dispvm", state)
            } else if system.preload.max != nil, let origin = state.origins[ObjectKey(.system, "")] {
                warning("preload.max has no effect without default_dispvm", origin, "preload.max")
            }
        }
    }

    private mutating func reference(
        _ name: String, to kind: ObjectKind, from key: ObjectKey, key field: String, _ state: DesiredState
    ) {
        guard !state.declares(name, as: kind), let origin = state.origins[key] else { return }
        if let other = state.kinds(named: name).first {
            error("\(field) \"\(name)\" is a \(other), but must name a \(kind)", origin, field)
            return
        }
        var hint = ""
        if suggestionBudget > 0 {
            if suggestionIndexes[kind] == nil {
                let names: [String]
                switch kind {
                case .template: names = Array(state.templates.keys)
                case .disposableTemplate: names = Array(state.disposableTemplates.keys)
                default: names = Array(state.namedDisposables.keys)
                }
                suggestionIndexes[kind] = SuggestionIndex(names)
            }
            hint = suggestionIndexes[kind]?.hint(for: name, budget: &suggestionBudget) ?? ""
        }
        error("\(field): no \(kind) named \"\(name)\"\(hint)", origin, field)
    }

    /// memory <= maxmem on the effective values; reported on the object that sets the offending value.
    private mutating func checkMemory(_ state: DesiredState) {
        for dvm in state.disposableTemplates.values {
            guard let memory = dvm.settings.memory, let maxmem = dvm.settings.maxmem, memory > maxmem,
                let origin = state.origins[ObjectKey(.disposableTemplate, dvm.name)]
            else { continue }
            error("memory (\(memory)) is larger than maxmem (\(maxmem))", origin, "memory")
        }
        for named in state.namedDisposables.values {
            let overrides = named.overrides
            guard overrides.memory != nil || overrides.maxmem != nil,
                let spec = state.spec(forNamedDisposable: named.name), spec.memory > spec.maxmem,
                let origin = state.origins[ObjectKey(.namedDisposable, named.name)]
            else { continue }
            let inherited = overrides.memory == nil ? " (inherited from \(named.template))" : ""
            let field = overrides.memory != nil ? "memory" : "maxmem"
            error("memory (\(spec.memory))\(inherited) is larger than maxmem (\(spec.maxmem))", origin, field)
        }
    }

    /// A netvm must be a domain: a NamedDisposable here, or (with a warning) a domain dispo does not manage.
    private mutating func checkNetVMs(_ state: DesiredState) {
        var netvmOf: [String: String] = [:]
        for named in state.namedDisposables.values {
            let netvm = named.overrides.netvm ?? state.disposableTemplates[named.template]?.settings.netvm
            if let name = netvm?.name { netvmOf[named.name] = name }
        }
        var users: [(ObjectKey, String)] = []
        for dvm in state.disposableTemplates.values {
            if let name = dvm.settings.netvm?.name { users.append((ObjectKey(.disposableTemplate, dvm.name), name)) }
        }
        for named in state.namedDisposables.values {
            if let name = named.overrides.netvm?.name { users.append((ObjectKey(.namedDisposable, named.name), name)) }
        }
        for (key, name) in users {
            guard let origin = state.origins[key] else { continue }
            if key.kind == .namedDisposable, name == key.name {
                error("a disposable cannot be its own netvm", origin, "netvm")
            } else if state.namedDisposables[name] == nil {
                if let other = state.kinds(named: name).first {
                    error("netvm \"\(name)\" is a \(other), which has no domain; name a NamedDisposable or an existing domain", origin, "netvm")
                } else {
                    warning("netvm \"\(name)\" is not declared here; it must exist as a domain when disposables start", origin, "netvm")
                }
            }
        }
        for loop in Self.loops(in: netvmOf) {
            guard let start = loop.first, let origin = state.origins[ObjectKey(.namedDisposable, start)] else { continue }
            error("netvm loop: \((loop + [start]).joined(separator: " -> "))", origin, "netvm")
        }
    }

    /// Every cycle of the functional graph `next` (each name has at most one successor), each once, starting at
    /// its smallest name and in the order the edges run; linear in the number of names (each is walked once).
    static func loops(in next: [String: String]) -> [[String]] {
        var walkOf: [String: Int] = [:]
        var loops: [[String]] = []
        for (walk, start) in next.keys.sorted().enumerated() where walkOf[start] == nil {
            var path: [String] = []
            var current: String? = start
            while let name = current, walkOf[name] == nil {
                walkOf[name] = walk
                path.append(name)
                current = next[name]
            }
            // A name met again in this walk closes a loop: the path from its first visit on.
            guard let name = current, walkOf[name] == walk, let first = path.firstIndex(of: name) else { continue }
            let cycle = Array(path[first...])
            guard cycle.count > 1, let smallest = cycle.indices.min(by: { cycle[$0] < cycle[$1] }) else { continue }
            loops.append(Array(cycle[smallest...] + cycle[..<smallest]))
        }
        return loops
    }

    /// An error about the value of `field` (a key path): at the value, naming the key first.
    private mutating func error(_ message: String, _ origin: Origin, _ field: String) {
        add(.error, Diagnostic.message(message, about: field), at: origin.mark(of: field), origin)
    }

    private mutating func warning(_ message: String, _ origin: Origin, _ field: String) {
        add(.warning, Diagnostic.message(message, about: field), at: origin.mark(of: field), origin)
    }

    private mutating func add(_ severity: Diagnostic.Severity, _ message: String, at mark: Mark, _ origin: Origin) {
        diagnostics.append(
            Diagnostic(path: origin.path, line: mark.line, column: mark.column, severity: severity, message: message))
    }
}
