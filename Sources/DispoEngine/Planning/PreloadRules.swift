import DispoConfig
import DispoHost

/// The preload queue rules: cleanup, refresh, trim, refill (with delay, back-off, memory admission).
extension PlanBuilder {
    mutating func planPreloads() {
        let desired = input.desired
        var templates = desired.disposableTemplates.keys.sorted()
        templates += observed.preloads.keys.filter { desired.disposableTemplates[$0] == nil }.sorted()
        if let first = desired.system?.defaultDispVM, let index = templates.firstIndex(of: first) {
            templates.remove(at: index)
            templates.insert(first, at: 0)
        }
        for template in templates {
            planQueue(of: template)
        }
    }

    /// A host suspend holds every queue at 0 (Qubes' `internal.SuspendPre`): each preload not in flight is removed
    /// (`suspend`) whatever its stage, none is made; one unpaused or used is someone's and is relabelled, as usual.
    mutating func planHeldPreloads(_ suspension: HostSuspension) {
        let desired = input.desired
        let templates = Set(observed.preloads.keys).union(desired.disposableTemplates.keys).sorted()
        for template in templates {
            for domain in observed.preloads[template] ?? [] where !input.inFlight.contains(domain.name) {
                if domain.isDown {
                    destroy(domain, role: .preload, reason: .cleanup, downDetail(domain))
                } else if domain.stage == .used || (domain.stage == .paused && domain.power == .running) {
                    plan.adoptions.append(domain.name)
                } else {
                    destroy(domain, role: .preload, reason: .suspend, "held for a host suspend; remove it")
                }
            }
            guard desired.disposableTemplates[template] != nil,
                desired.effectivePreloadMax(forDisposableTemplate: template) > 0
            else { continue }
            plan.waits.append(Wait(subject: template, kind: .suspended,
                detail: "preloads held for a host suspend (dispo sleep post resumes the refill)"))
        }
    }

    private mutating func planQueue(of template: String) {
        let domains = (observed.preloads[template] ?? []).filter { !input.inFlight.contains($0.name) }
        guard let dvm = input.desired.disposableTemplates[template], let spec = input.desired.spec(forDisposableTemplate: template)
        else {
            for domain in domains {
                destroy(domain, role: .preload, reason: .prune, "\(template) left the config; remove its preloads")
            }
            return
        }
        let revision = input.revisions.disposableTemplates[template] ?? ""
        var ready: [ObservedDomain] = []
        var usedNow = false
        for domain in domains {
            let stage = domain.stage
            if domain.isDown {
                destroy(domain, role: .preload, reason: .cleanup, downDetail(domain))
            } else if stage == .paused, domain.power == .running {
                plan.adoptions.append(domain.name)
                usedNow = true
            } else if stage == .used {
                plan.adoptions.append(domain.name)
                usedNow = true
            } else if PreloadQueue.isReady(domain.domain) {
                if domain.revision == revision {
                    ready.append(domain)
                } else {
                    destroy(domain, role: .preload, reason: .refresh, "made from an older spec; replace it")
                }
            } else {
                destroy(domain, role: .preload, reason: .cleanup,
                    "interrupted while \(stage?.rawValue ?? "unknown"); remove it")
            }
        }
        let creating = input.creatingPreloads[template] ?? 0
        let max = input.desired.effectivePreloadMax(forDisposableTemplate: template)
        let count = ready.count + creating
        if count > max {
            let excess = min(count - max, ready.count)
            for domain in ready.suffix(excess).reversed() {
                destroy(domain, role: .preload, reason: .trim, "queue holds \(count), max is \(max); remove the newest")
            }
            return
        }
        guard count < max else { return }
        refill(template, dvm: dvm, spec: spec, vacancy: max - count, queued: count, newest: ready.last, usedNow: usedNow)
    }

    private mutating func refill(
        _ template: String, dvm: DisposableTemplate, spec: EffectiveSpec, vacancy: Int, queued: Int,
        newest: ObservedDomain?, usedNow: Bool
    ) {
        let now = input.now
        if let until = input.backoffUntil[BackoffKey.preload(template)], until > now {
            let detail = until.isFinite ? "preloads failed recently; next try in \(Self.seconds(until - now))"
                : "preloads failed repeatedly; given up until the next apply or config change"
            plan.waits.append(Wait(subject: template, kind: .backoff(until: until), detail: detail))
            return
        }
        if let wait = delayWait(template, delay: dvm.preload.delay, queued: queued, newest: newest, usedNow: usedNow) {
            plan.waits.append(wait)
            return
        }
        var wave = 1
        if let netvm = spec.netvm, input.desired.namedDisposables[netvm] != nil {
            guard let netvmWave = namedUp[netvm] else {
                plan.waits.append(Wait(subject: template, kind: .netvm(netvm), detail: "preloads wait for netvm \(netvm)"))
                return
            }
            wave = netvmWave + 1
        }
        let threshold = input.desired.system?.preload.threshold.kibibytes ?? 0
        let available = budget > threshold ? budget - threshold : 0
        let perDomain = max(spec.memory.kibibytes, 1)
        let admitted = min(vacancy, Int(available / perDomain))
        if admitted < vacancy {
            let memory = Wait.Memory(free: Size(kibibytes: budget), threshold: Size(kibibytes: threshold), each: spec.memory)
            plan.waits.append(Wait(subject: template, kind: .memory(count: vacancy - admitted),
                detail: Self.memoryDetail(waiting: vacancy - admitted, memory), memory: memory))
        }
        for index in 0..<admitted {
            plan.actions.append(Action(.create, .preload, template: template, name: nil, reason: .refill, wave: wave,
                detail: "queue \(queued + index)/\(queued + vacancy); add a preload"))
        }
        budget -= UInt64(admitted) * perDomain
    }

    /// Qubes' `preload.delay`: after a use, refill waits `delay`; a negative delay refills only once the
    /// queue is empty, |delay| after the use that emptied it (``UseRecord`` says which use is recorded). A use
    /// counts only when it came after the newest preload was made (both wall-clock records); the wait itself runs
    /// on the monotonic clock. A preload relabelled used in this very plan counts as a use now.
    private func delayWait(
        _ template: String, delay: Interval, queued: Int, newest: ObservedDomain?, usedNow: Bool
    ) -> Wait? {
        let recorded = input.snapshot.metadata[HostMetadataKey.lastUsePrefix + template].flatMap(Double.init)
        let lastUse: Double
        if usedNow {
            lastUse = input.now
        } else {
            guard let recorded else { return nil }
            if let newest, newest.created >= recorded { return nil }
            lastUse = input.lastUse[template] ?? recorded
        }
        if delay.isNegative, queued > 0 {
            return Wait(subject: template, kind: .untilEmpty, detail: "negative delay: refills once the queue is empty")
        }
        let until = lastUse + abs(delay.seconds)
        guard until > input.now else { return nil }
        return Wait(subject: template, kind: .delay(until: until),
            detail: "refill after the delay, in \(Self.seconds(until - input.now))")
    }

    /// `2 preload(s) wait for memory: 1200MiB free less the threshold 1000MiB leaves 200MiB; each needs 400MiB`.
    static func memoryDetail(waiting: Int, _ memory: Wait.Memory) -> String {
        let free = memory.threshold.kibibytes == 0 ? "\(memory.free) free"
            : "\(memory.free) free less the threshold \(memory.threshold) leaves \(memory.available)"
        return "\(waiting) preload(s) wait for memory: \(free); each needs \(memory.each)"
    }

    static func seconds(_ value: Double) -> String {
        guard value.isFinite else { return "never" }
        return value >= 10 ? "\(Int(value.rounded()))s" : "\((value * 10).rounded() / 10)s"
    }
}
