public import DispoConfig
public import DispoEngine

/// `dispo status --json` on Qubes, in the shape of the Xen one (`host`, `config`, `templates`, `named`,
/// `disposables`); the queues are qubesd's (`preload-dispvm` of each disposable template, oldest first).
public struct QubesStatus: Sendable, Codable {
    public struct HostPart: Sendable, Codable {
        public var backend = "qubes"
        public var location: String
    }

    public struct ConfigPart: Sendable, Codable {
        public var ok: Bool
        public var errors: [String]
        public var revision: String
        /// Digest of the config the controller last brought qubesd to (set only by a controller).
        public var observed: String?
    }

    public struct TemplatePart: Sendable, Codable {
        public var name: String
        /// False when no qube of that name exists, or one dispo did not make.
        public var present: Bool
        /// `max` is the one in force: dom0's `preload-dispvm-max` for qubesd's default_dispvm when set, else the
        /// template's own feature.
        public var preload: StatusReport.TemplatePart.Preload
    }

    /// The parts shared with the Xen report, so that both print one shape.
    public typealias NamedPart = StatusReport.NamedPart
    public typealias DisposablePart = StatusReport.DisposablePart

    /// Who made the report: `controller` (`dispo watch --host qubes`, with its pid and socket) or `host` (the
    /// command read qubesd itself).
    public var source: StatusReport.SourcePart?
    public var host: HostPart
    public var config: ConfigPart
    /// The controller's passes that changed something (absent without a controller).
    public var history: [StatusReport.HistoryEntry]?
    public var templates: [TemplatePart]
    public var named: [NamedPart]
    public var disposables: [DisposablePart]
    /// Conflicts and missing TemplateVMs, as the plan reports them.
    public var problems: [String]

    /// Reads qubesd (one ``QubesReader`` read, plus the template of each other DispVM) and builds the report.
    public static func read(
        client: AdminClient, desired: DesiredState, configErrors: [String], location: String
    ) async throws(QubesError) -> QubesStatus {
        let reader = QubesReader(client: client)
        let observed = try await reader.read(for: desired)
        let plan = QubesPlanner.plan(desired, observed)
        let others = observed.listed.values.filter { $0.klass == "DispVM" && desired.namedDisposables[$0.name] == nil }
            .map(\.name)
        let templates = try await reader.templates(of: others)
        return make(desired: desired, configErrors: configErrors, observed: observed, plan: plan, location: location,
            disposableTemplates: templates)
    }

    /// Builds the report from one read; `disposableTemplates` maps the other DispVMs found to their template.
    public static func make(
        desired: DesiredState, configErrors: [String], observed: QubesObservation, plan: QubesPlan, location: String,
        disposableTemplates: [String: String]
    ) -> QubesStatus {
        let globalDefault = observed.global["default_dispvm"]?.value
        let globalMax = observed.dom0Features[QubesVocabulary.preloadMax].flatMap { Int($0) }
        var queued: Set<String> = []
        let templates = desired.disposableTemplates.keys.sorted().map { name -> TemplatePart in
            let details = observed.details[name]
            let queue = (details?.features[QubesVocabulary.preloadList] ?? "").split(separator: " ").map(String.init)
            queued.formUnion(queue)
            let local = details?.features[QubesVocabulary.preloadMax].flatMap { Int($0) } ?? 0
            let max = globalDefault == name ? (globalMax ?? local) : local
            let ready = queue.filter { observed.listed[$0]?.state == "Paused" }.count
            return TemplatePart(name: name, present: details?.isOwned == true,
                preload: .init(max: max, ready: ready, starting: queue.count - ready, queue: queue))
        }
        let qubes = DesiredQube.all(in: desired)
        let pendingRestart = Set(plan.changes.filter { if case .restart = $0.operation { true } else { false } }.map(\.qube))
        let named = desired.namedDisposables.keys.sorted().map { name -> NamedPart in
            let listed = observed.listed[name]
            let revision = observed.details[name]?.features[QubesVocabulary.revisionFeature]
            return NamedPart(name: name, desired: desired.namedDisposables[name]?.state?.rawValue,
                state: listed.map { state($0.state) } ?? "halted",
                upToDate: listed != nil && revision == qubes[name]?.revision && !pendingRestart.contains(name))
        }
        let disposables = disposableTemplates.keys.sorted().compactMap { name -> DisposablePart? in
            guard let listed = observed.listed[name], !queued.contains(name) else { return nil }
            return DisposablePart(name: name, template: disposableTemplates[name] ?? "", role: "unnamed",
                state: state(listed.state))
        }
        return QubesStatus(
            host: .init(location: location),
            config: .init(ok: configErrors.isEmpty, errors: configErrors, revision: Digest.config(desired)),
            templates: templates, named: named, disposables: disposables, problems: plan.problems.map(\.description))
    }

    /// qubesd's power state in dispo's words: running, paused, halted, crashed, starting.
    static func state(_ qubes: String) -> String {
        switch qubes {
        case "Running": return "running"
        case "Paused", "Suspended": return "paused"
        case "Crashed": return "crashed"
        case "Transient": return "starting"
        default: return "halted"
        }
    }
}
