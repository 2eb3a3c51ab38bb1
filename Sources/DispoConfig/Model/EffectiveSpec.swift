/// The resolved settings a disposable is made from: inheritance applied and every default filled in.
///
/// This is what the planner compares and the host creates; two specs that are equal make the same domain.
public struct EffectiveSpec: Sendable, Hashable {
    /// The DisposableTemplate the disposable belongs to.
    public var disposableTemplate: String
    public var template: Template
    public var memory: Size
    public var maxmem: Size
    public var vcpus: Int
    /// The backend domain for the network interface; nil for none.
    public var netvm: String?
    public var tags: [String]
    /// nil: ready once running.
    public var ready: Readiness?

    public init(disposableTemplate: String, template: Template, settings: DisposableSettings) {
        self.disposableTemplate = disposableTemplate
        self.template = template
        let memory = settings.memory ?? DisposableSettings.defaultMemory
        self.memory = memory
        self.maxmem = settings.maxmem ?? Swift.max(DisposableSettings.defaultMaxmem, memory)
        self.vcpus = settings.vcpus ?? DisposableSettings.defaultVcpus
        self.netvm = settings.netvm?.name
        self.tags = settings.tags ?? []
        self.ready = settings.ready
    }
}

extension DesiredState {
    /// The effective spec of the disposables of a disposable template; nil if it or its template is missing.
    public func spec(forDisposableTemplate name: String) -> EffectiveSpec? {
        guard let dvm = disposableTemplates[name], let template = templates[dvm.template] else { return nil }
        return EffectiveSpec(disposableTemplate: name, template: template, settings: dvm.settings)
    }

    /// The effective spec of a named disposable: its overrides over its disposable template's settings.
    public func spec(forNamedDisposable name: String) -> EffectiveSpec? {
        guard let named = namedDisposables[name], let dvm = disposableTemplates[named.template],
            let template = templates[dvm.template]
        else { return nil }
        return EffectiveSpec(
            disposableTemplate: dvm.name, template: template, settings: dvm.settings.overridden(by: named.overrides))
    }

    /// The preload max in force for a disposable template: System.preload.max wins for default_dispvm
    /// when it is set at all (Qubes' dom0 `preload-dispvm-max`), else the template's own.
    public func effectivePreloadMax(forDisposableTemplate name: String) -> Int {
        if let system, system.defaultDispVM == name, let global = system.preload.max { return global }
        return disposableTemplates[name]?.preload.max ?? 0
    }
}
