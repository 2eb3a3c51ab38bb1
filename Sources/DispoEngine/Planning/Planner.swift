import DispoConfig
import DispoHost

/// The one pure planner behind `diff`, `apply` and `watch`: compares the desired state with the
/// observed host and says what to do, each action with its reason.
public enum Planner {
    public static func plan(_ input: PlanInput) -> Plan {
        var builder = PlanBuilder(input)
        builder.build()
        return builder.finish()
    }
}

/// Applies the rules in order: empty-config guard, unnamed cleanup, named disposables, preload queues.
struct PlanBuilder {
    let input: PlanInput
    let observed: ObservedDomains
    var plan = Plan()
    /// KiB of memory the plan may still give to new domains.
    var budget: UInt64
    /// Named disposables running (and staying) or started by this plan, with their start wave.
    var namedUp: [String: Int] = [:]
    /// Netvm depth of every named disposable.
    let depths: [String: Int]
    /// The wave of destroys of preloads and unnamed disposables: before every named disposable stops (those go
    /// deepest client first, at `-1 - depth`), so that a netvm goes after everything that may use it.
    let disposableStopWave: Int

    init(_ input: PlanInput) {
        self.input = input
        self.observed = ObservedDomains(input.snapshot)
        self.depths = Self.depths(input.desired)
        self.disposableStopWave = -2 - (depths.values.max() ?? 0)
        self.budget = input.snapshot.freeMemory.kibibytes
    }

    mutating func build() {
        // A host suspend removes preloads even under the empty-config guard: they are made again afterwards.
        if let suspension = input.suspension { planHeldPreloads(suspension) }
        if input.desired.count == 0, !input.options.allowEmpty {
            let owned = input.snapshot.domains.filter(\.isOwned).count
            if owned > 0 {
                plan.waits.append(
                    Wait(
                        subject: "config", kind: .emptyConfig,
                        detail: "the config is empty; \(owned) domain(s) dispo made are kept (use --allow-empty to remove them)"))
            }
            return
        }
        planUnnamed()
        planNamed()
        if input.suspension == nil { planPreloads() }
    }

    /// Orders actions by wave, then op; within those, the order the rules ran in (which follows sorted names).
    func finish() -> Plan {
        var result = plan
        let keyed = plan.actions.enumerated().map { (wave: $1.wave, rank: Self.rank($1.op), index: $0) }
        let order = keyed.sorted { ($0.wave, $0.rank, $0.index) < ($1.wave, $1.rank, $1.index) }
        result.actions = order.map { plan.actions[$0.index] }
        return result
    }

    private static func rank(_ op: Action.Op) -> Int {
        switch op {
        case .destroy: return 0
        case .stop: return 1
        case .restart: return 2
        case .start: return 3
        case .create: return 4
        case .relabel: return 5
        }
    }

    // MARK: - Shared

    /// A destroy of `observed`; `wave` nil: the wave of disposables (``disposableStopWave``).
    mutating func destroy(
        _ observed: ObservedDomain, role: Role, reason: Action.Reason, wave: Int? = nil, _ detail: String
    ) {
        plan.actions.append(Action(.destroy, role, template: observed.template, name: observed.name, reason: reason,
            wave: wave ?? disposableStopWave, detail: detail))
        budget += observed.domain.memory.kibibytes
    }

    func downDetail(_ domain: ObservedDomain) -> String {
        domain.power == .crashed ? "crashed; remove it and its disks" : "shut down; remove it and its disks"
    }

    // MARK: - Unnamed disposables

    /// Stopped or crashed ones are cleaned up; ones interrupted before hand-out (not yet running) are removed;
    /// used ones stay, and one running in stage `requested` is relabelled used.
    mutating func planUnnamed() {
        for domain in observed.unnamed where !input.inFlight.contains(domain.name) {
            if domain.isDown {
                destroy(domain, role: .unnamed, reason: .cleanup, downDetail(domain))
            } else if domain.stage == .requested, domain.power == .running {
                // Handed out (unpaused) but the `used` record did not follow: it is someone's now.
                plan.adoptions.append(domain.name)
            } else if let stage = domain.stage, [.creating, .starting, .requested].contains(stage) {
                destroy(domain, role: .unnamed, reason: .cleanup, "interrupted while \(stage.rawValue); remove it")
            }
        }
    }

    // MARK: - Named disposables

    /// Netvm depth: 0 when the netvm is not a named disposable declared here, else its depth + 1.
    func depth(ofNamed name: String) -> Int {
        depths[name] ?? 0
    }

    /// The netvm of a named disposable: its own setting, else its disposable template's.
    static func netvm(ofNamed name: String, in desired: DesiredState) -> String? {
        guard let named = desired.namedDisposables[name] else { return nil }
        return (named.overrides.netvm ?? desired.disposableTemplates[named.template]?.settings.netvm)?.name
    }

    /// Every named disposable's netvm depth, computed once.
    static func depths(_ desired: DesiredState) -> [String: Int] {
        var depths: [String: Int] = [:]
        depths.reserveCapacity(desired.namedDisposables.count)
        for name in desired.namedDisposables.keys {
            var depth = 0
            var current = name
            var seen: Set<String> = [name]
            while let netvm = netvm(ofNamed: current, in: desired), desired.namedDisposables[netvm] != nil,
                seen.insert(netvm).inserted
            {
                depth += 1
                current = netvm
            }
            depths[name] = depth
        }
        return depths
    }

    mutating func planNamed() {
        let desired = input.desired
        for name in observed.named.keys.filter({ desired.namedDisposables[$0] == nil }).sorted() {
            guard !input.inFlight.contains(name), let domain = observed.named[name] else { continue }
            destroy(domain, role: .named, reason: .prune, wave: -1, "\(name) left the config; stop and remove it")
        }
        let names = desired.namedDisposables.keys.map { (depth(ofNamed: $0), $0) }.sorted { $0 < $1 }.map(\.1)
        for name in names {
            guard let named = desired.namedDisposables[name], let spec = desired.spec(forNamedDisposable: name) else {
                continue
            }
            planNamed(named, spec: spec)
        }
    }

    private mutating func planNamed(_ named: NamedDisposable, spec: EffectiveSpec) {
        let name = named.name
        let depth = depth(ofNamed: name)
        let template = named.template
        if observed.foreign.contains(name) {
            plan.waits.append(Wait(subject: name, kind: .conflict,
                detail: "a domain named \(name) exists and was not made by dispo; rename or remove it"))
            return
        }
        if input.inFlight.contains(name) {
            namedUp[name] = depth + 1
            return
        }
        let revision = input.revisions.namedDisposables[name] ?? ""
        var exists = false
        if let domain = observed.named[name] {
            let stage = domain.stage
            if domain.isDown {
                destroy(domain, role: .named, reason: .cleanup, wave: -1 - depth, downDetail(domain))
            } else if stage == .creating || stage == .starting {
                destroy(domain, role: .named, reason: .cleanup, wave: -1 - depth,
                    "interrupted while \(stage?.rawValue ?? "starting"); remove it")
            } else if named.state == .halted {
                plan.actions.append(Action(.stop, .named, template: template, name: name, reason: .state,
                    wave: -1 - depth, detail: "should be halted; stop and remove it"))
                budget += domain.domain.memory.kibibytes
                return
            } else {
                exists = true
                namedUp[name] = 0
                if domain.revision != revision {
                    plan.actions.append(Action(.restart, .named, template: template, name: name,
                        reason: .specChanged, pending: !input.options.restart, wave: depth + 1,
                        detail: input.options.restart ? "spec changed; restart it"
                            : "spec changed; restart required (apply --restart)"))
                }
            }
        }
        guard !exists, named.state == .running else { return }
        if let until = input.backoffUntil[BackoffKey.named(name)], until > input.now {
            let detail = until.isFinite ? "failed recently; retried later" : "failed repeatedly; given up"
            plan.waits.append(Wait(subject: name, kind: .backoff(until: until), detail: detail))
            return
        }
        if let netvm = spec.netvm, input.desired.namedDisposables[netvm] != nil, namedUp[netvm] == nil {
            plan.waits.append(Wait(subject: name, kind: .netvm(netvm), detail: "waits for its netvm \(netvm) to run"))
            return
        }
        plan.actions.append(Action(.start, .named, template: template, name: name, reason: .state, wave: depth + 1,
            detail: "should be running; start it"))
        namedUp[name] = depth + 1
        budget -= min(budget, spec.memory.kibibytes)
    }
}
