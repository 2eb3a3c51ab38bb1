public import DispoConfig

/// The Qubes reconcile path's planner: `plan(desired, observed)` with no I/O; `diff` prints it, `apply` runs it.
///
/// Why not the engine's `Host` seam: that seam is libxl-shaped (create a domain paused, balloon it, probe a
/// xenstore key, claim a preload with compare-and-set metadata) and the engine runs its own preload queue on it.
/// In a Qubes dom0 qubesd owns all of that: it makes and hands out the preloads (dispo sets its features),
/// qmemman owns memory, readiness is qrexec's (`qrexec_timeout`), and the Admin API has no compare-and-set. So
/// the Qubes path keeps only DispoConfig's loading and validation and plans Admin API changes: properties,
/// features, tags, power state, prune. Rules:
/// - a declared name held by a qube without dispo's tag is a conflict (a problem, nothing changes on it);
/// - a missing TemplateVM blocks what is made from it (dispo does not install templates);
/// - dispo's qubes no longer declared are removed (named disposables before their disposable templates);
/// - a running named disposable whose spec changed is restarted only with `restart` (else a pending change);
///   its property changes are set at once (qubesd applies them at the next start).
public enum QubesPlanner {
    public struct Options: Sendable, Hashable {
        public var restart = false
        public init(restart: Bool = false) { self.restart = restart }
    }

    /// Phases: creations, then what later ones depend on (template_for_dispvms), settings (provides_network among them),
    /// netvm links, the preload features (last: qubesd refreshes preloads made before a property change), the System,
    /// power, prune.
    enum Phase: Int, Comparable {
        case createTemplates, templateFlags, createNamed, settings, netvm, preload, system, stop, start, pruneNamed, pruneTemplates
        static func < (lhs: Phase, rhs: Phase) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public static func plan(_ desired: DesiredState, _ observed: QubesObservation, options: Options = .init())
        -> QubesPlan
    {
        var plan = QubesPlan()
        var staged: [(Phase, QubesChange)] = []
        let qubes = DesiredQube.all(in: desired)
        var blocked: Set<String> = []

        for (name, template) in desired.templates.sorted(by: { $0.key < $1.key }) {
            _ = template
            let listed = observed.listed[name]
            if listed?.klass != "TemplateVM" {
                let found = listed.map { " (a qube of class \($0.klass) has that name)" } ?? ""
                plan.problems.append(QubesProblem(name, "no TemplateVM \(name) on this host\(found); dispo does not "
                    + "install templates: qvm-template install \(name), or name an installed one"))
                blocked.insert(name)
            }
        }
        for (name, qube) in qubes.sorted(by: { $0.key < $1.key }) {
            if let listed = observed.listed[name], observed.details[name]?.isOwned != true {
                plan.problems.append(QubesProblem(name, "a qube dispo did not make (class \(listed.klass)) has this "
                    + "name; dispo leaves it alone: rename one of them, or tag the qube \(QubesVocabulary.ownerTag) "
                    + "to hand it to dispo"))
                blocked.insert(name)
                continue
            }
            let dependency = qube.klass == "AppVM" ? qube.template : desired.disposableTemplates[qube.template]?.template
            if let dependency, blocked.contains(dependency) || (qube.klass == "DispVM" && blocked.contains(qube.template)) {
                plan.problems.append(QubesProblem(name, "waits for \(blocked.contains(qube.template) ? qube.template : dependency)"))
                blocked.insert(name)
            }
        }

        var index = observed.index.intersection(observed.owned)
        for (name, qube) in qubes.sorted(by: { $0.key < $1.key }) where !blocked.contains(name) {
            staged += changes(for: qube, observed: observed, options: options)
            if observed.listed[name] == nil || observed.details[name]?.isOwned == true { index.insert(name) }
        }
        if let dvm = desired.system?.defaultDispVM, blocked.contains(dvm) {
            plan.problems.append(QubesProblem("System", "default_dispvm waits for \(dvm)"))
            blocked.insert("System")
        }
        staged += systemChanges(desired, observed, blocked: blocked.contains("System"))
        for name in observed.owned.sorted() {
            guard let listed = observed.listed[name] else { continue }
            let declared = qubes[name]
            if let declared, declared.klass == listed.klass { continue }
            let named = listed.klass == "DispVM"
            let why = declared == nil ? "no longer declared" : "declared as \(declared!.klass), exists as \(listed.klass)"
            staged.append((named ? .pruneNamed : .pruneTemplates,
                QubesChange(qube: name, operation: .remove, role: named ? .named : .disposableTemplate,
                    reason: declared == nil ? "prune" : "spec-changed", detail: "remove (\(why))")))
            if declared == nil { index.remove(name) }
        }
        plan.changes = staged.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }
            .map(\.element.1)
        plan.index = index
        plan.indexChanged = index != observed.index
        return plan
    }

    private static func changes(for qube: DesiredQube, observed: QubesObservation, options: Options)
        -> [(Phase, QubesChange)]
    {
        var staged: [(Phase, QubesChange)] = []
        let details = observed.details[qube.name]
        let listed = observed.listed[qube.name]
        func change(_ phase: Phase, _ operation: QubesChange.Operation, _ reason: String, _ detail: String,
            pending: Bool = false)
        {
            staged.append((phase, QubesChange(qube: qube.name, operation: operation, role: qube.role, reason: reason,
                detail: detail, pending: pending)))
        }
        let creating = listed == nil
        if creating {
            if qube.klass == "AppVM" {
                change(.createTemplates, .createAppVM(template: qube.template, label: qube.label), "create",
                    "create AppVM from \(qube.template)")
            } else {
                change(.createNamed, .createDispVM(disposableTemplate: qube.template, label: qube.label), "create",
                    "create DispVM from \(qube.template)")
            }
        } else if let listed, listed.klass == "DispVM",
            let template = details?.properties["template"]?.value, template != qube.template
        {
            // a DispVM's template cannot change: remove it; the next pass makes it anew
            let running = listed.state != "Halted"
            change(.pruneNamed, .remove, "spec-changed",
                "template \(template) -> \(qube.template): made anew", pending: running && !options.restart)
            return staged
        }
        let reason = creating ? "create" : "drift"
        for (name, value) in qube.properties {
            if name == "template", qube.klass == "AppVM", creating { continue }
            let current = details?.properties[name]
            guard current?.value != value else { continue }
            let phase: Phase =
                name == "netvm" ? .netvm
                : name == "template_for_dispvms" ? .templateFlags : .settings
            let shown = value.isEmpty ? "none" : value
            let detail = current.map { "\(name) \($0.value.isEmpty ? "none" : $0.value) -> \(shown)" } ?? "\(name) \(shown)"
            change(phase, .setProperty(name, value: value), reason, detail)
        }
        for (name, value) in qube.features {
            let current = details?.features[name]
            if let value, current != value {
                change(name == QubesVocabulary.preloadMax ? .preload : .settings, .setFeature(name, value: value), reason,
                    current.map { "feature \(name) \($0) -> \(value)" } ?? "feature \(name) \(value)")
            } else if value == nil, details?.featureNames.contains(name) == true {
                change(.settings, .removeFeature(name), reason, "feature \(name) removed")
            }
        }
        let tags = details?.tags ?? []
        for tag in qube.tags where !tags.contains(tag) { change(.settings, .addTag(tag), reason, "tag \(tag)") }
        let managedBefore = (details?.features[QubesVocabulary.tagsFeature] ?? "").split(separator: " ").map(String.init)
        for tag in managedBefore where !qube.tags.contains(tag) && tags.contains(tag) {
            change(.settings, .removeTag(tag), reason, "tag \(tag) removed")
        }
        let managedTags = qube.tags.sorted().joined(separator: " ")
        if managedTags != managedBefore.sorted().joined(separator: " ") {
            change(.settings, managedTags.isEmpty ? .removeFeature(QubesVocabulary.tagsFeature)
                : .setFeature(QubesVocabulary.tagsFeature, value: managedTags), reason, "the tags dispo keeps")
        }

        // the revision: a running named disposable keeps its old one until it restarts
        let running = listed.map { $0.state == "Running" || $0.state == "Paused" } ?? false
        let revisionChanged = details?.features[QubesVocabulary.revisionFeature] != qube.revision
        if revisionChanged {
            if qube.role == .named, running {
                change(.start, .restart(revision: qube.revision), "spec-changed", "restart for the changed spec (revision \(qube.revision))",
                    pending: !options.restart)
            } else {
                change(.settings, .setFeature(QubesVocabulary.revisionFeature, value: qube.revision), reason,
                    "revision \(qube.revision)")
            }
        }
        switch qube.state {
        case .running? where !running:
            change(.start, .start, "state", "start (state: running)")
        case .halted? where running:
            change(.stop, .shutdown, "state", "stop (state: halted)")
        default:
            break
        }
        return staged
    }

    private static func systemChanges(_ desired: DesiredState, _ observed: QubesObservation, blocked: Bool)
        -> [(Phase, QubesChange)]
    {
        var staged: [(Phase, QubesChange)] = []
        func change(_ operation: QubesChange.Operation, _ reason: String, _ detail: String) {
            staged.append((.system, QubesChange(qube: "dom0", operation: operation, role: .system, reason: reason,
                detail: detail)))
        }
        let features = observed.dom0Features
        guard let system = desired.system else {
            guard features[QubesVocabulary.systemFeature] != nil else { return [] }
            for name in [QubesVocabulary.preloadMax, QubesVocabulary.preloadThreshold, QubesVocabulary.systemFeature]
            where features[name] != nil {
                change(.removeFeature(name), "prune", "feature \(name) removed (no System declared)")
            }
            return staged
        }
        if let dvm = system.defaultDispVM, !blocked, observed.global["default_dispvm"]?.value != dvm {
            let current = observed.global["default_dispvm"]?.value ?? ""
            change(.setGlobalProperty("default_dispvm", value: dvm), "system",
                "default_dispvm \(current.isEmpty ? "none" : current) -> \(dvm)")
        }
        let threshold = system.preload.threshold.mebibytes
        for (name, value) in [
            (QubesVocabulary.preloadMax, system.preload.max.map(String.init)),
            (QubesVocabulary.preloadThreshold, threshold > 0 ? String(threshold) : nil),
            (QubesVocabulary.systemFeature, "1"),
        ] {
            if let value, features[name] != value {
                change(.setFeature(name, value: value), "system",
                    features[name].map { "feature \(name) \($0) -> \(value)" } ?? "feature \(name) \(value)")
            } else if value == nil, features[name] != nil {
                change(.removeFeature(name), "system", "feature \(name) removed")
            }
        }
        return staged
    }
}
