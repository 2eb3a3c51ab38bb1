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

    init(_ input: PlanInput) {
        self.input = input
        self.observed = ObservedDomains(input.snapshot)
        self.budget = input.snapshot.freeMemory.kibibytes
    }

    mutating func build() {
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
        planPreloads()
    }

    func finish() -> Plan {
        var result = plan
        result.actions.sort { a, b in
            (a.wave, Self.rank(a.op), a.template, a.name ?? "~") < (b.wave, Self.rank(b.op), b.template, b.name ?? "~")
        }
        return result
    }

    private static func rank(_ op: Action.Op) -> Int {
        switch op {
        case .destroy: return 0
        case .stop: return 1
        case .restart: return 2
        case .start: return 3
        case .create: return 4
        }
    }

    // MARK: - Shared

    mutating func destroy(_ domain: Domain, role: Role, reason: Action.Reason, wave: Int = -1, _ detail: String) {
        let template = domain.metadata[MetadataKey.template] ?? ""
        plan.actions.append(Action(.destroy, role, template: template, name: domain.name, reason: reason, wave: wave,
            detail: detail))
        budget += domain.memory.kibibytes
    }

    func downDetail(_ domain: Domain) -> String {
        domain.power == .crashed ? "crashed; remove it and its disks" : "shut down; remove it and its disks"
    }

    // MARK: - Unnamed disposables

    /// Stopped or crashed ones are cleaned up; ones interrupted before hand-out are removed; used ones stay.
    mutating func planUnnamed() {
        for domain in observed.unnamed where !input.inFlight.contains(domain.name) {
            if ObservedDomains.isDown(domain) {
                destroy(domain, role: .unnamed, reason: .cleanup, downDetail(domain))
            } else if let stage = ObservedDomains.stage(domain), [.creating, .starting, .requested].contains(stage) {
                destroy(domain, role: .unnamed, reason: .cleanup, "interrupted while \(stage.rawValue); remove it")
            }
        }
    }

    // MARK: - Named disposables

    /// Netvm depth: 0 when the netvm is not a named disposable declared here, else its depth + 1.
    func depth(ofNamed name: String) -> Int {
        var depth = 0
        var current = name
        var seen: Set<String> = [name]
        while let netvm = input.desired.spec(forNamedDisposable: current)?.netvm,
            input.desired.namedDisposables[netvm] != nil, seen.insert(netvm).inserted
        {
            depth += 1
            current = netvm
        }
        return depth
    }

    mutating func planNamed() {
        let desired = input.desired
        for (name, domain) in observed.named where desired.namedDisposables[name] == nil {
            guard !input.inFlight.contains(name) else { continue }
            destroy(domain, role: .named, reason: .prune, wave: -1 - depth(ofNamed: name),
                "\(name) left the config; stop and remove it")
        }
        let names = desired.namedDisposables.keys.sorted { (depth(ofNamed: $0), $0) < (depth(ofNamed: $1), $1) }
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
            let stage = ObservedDomains.stage(domain)
            if ObservedDomains.isDown(domain) {
                destroy(domain, role: .named, reason: .cleanup, wave: -1 - depth, downDetail(domain))
            } else if stage == .creating || stage == .starting {
                destroy(domain, role: .named, reason: .cleanup, wave: -1 - depth,
                    "interrupted while \(stage?.rawValue ?? "starting"); remove it")
            } else if named.state == .halted {
                plan.actions.append(Action(.stop, .named, template: template, name: name, reason: .state,
                    wave: -1 - depth, detail: "should be halted; stop and remove it"))
                budget += domain.memory.kibibytes
                return
            } else {
                exists = true
                namedUp[name] = 0
                if domain.metadata[MetadataKey.revision] != revision {
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
