import DispoConfig
import DispoEngine
import DispoHost
import DispoSim
import PropertyBased
import DispoTestKit
import Testing

/// For random desired states and random simulated hosts, apply converges, a second diff is empty,
/// and no domain dispo does not own is ever modified.
struct ConvergenceProperties {
    @Test func applyConvergesAndLeavesForeignDomainsAlone() async throws {
        await propertyCheck(count: 60, input: Gen.uint64()) { seed in
            do {
                try await Self.check(seed: seed)
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
    }

    static func check(seed: UInt64) async throws {
        var random = SplitMix(seed: seed)
        let memoryGiB = UInt64.random(in: 8...24, using: &random)
        let world = SimWorld(memory: .mebibytes(memoryGiB * 1024), boot: Double.random(in: 0.2...5, using: &random))
        for index in 0..<Int.random(in: 0...3, using: &random) {
            _ = try await world.admin.addForeign(name: "user-vm\(index)", memory: .mebibytes(UInt64.random(in: 100...900, using: &random)))
        }
        if Bool.random(using: &random) { _ = try await world.admin.addForeign(name: "disp4242", memory: .mebibytes(300)) }
        // A history: converge on another random config, then play the guest's part.
        let earlier = randomDesired(&random)
        for round in 0..<2 {
            _ = try await world.reconciler(seed: seed &+ UInt64(round)).converge(earlier)
            for domain in try await world.snapshot().domains where domain.isOwned {
                switch Int.random(in: 0..<6, using: &random) {
                case 0: try await world.admin.crash(domain.name)
                case 1: try await world.admin.guestShutdown(domain.name)
                case 2 where domain.power == .paused: try await world.admin.unpauseBehindDispo(domain.name)
                default: break
                }
            }
        }
        let foreignBefore = try await world.snapshot().domains.filter { !$0.isOwned }
        let desired = randomDesired(&random)
        // With --restart, so that named disposables whose spec changed are brought up to date too.
        let options = ReconcileOptions(plan: PlanOptions(restart: true))
        let outcome = try await world.reconciler(options, seed: seed &+ 1).converge(desired)
        #expect(outcome.converged, "seed \(seed): \(outcome.failures) \(outcome.plan.waits)")
        let plan = try await world.plan(desired, options: PlanOptions(restart: true))
        #expect(plan.isInSync, "seed \(seed): \(plan.actions)")
        let foreignAfter = try await world.snapshot().domains.filter { !$0.isOwned }
        #expect(foreignAfter == foreignBefore, "seed \(seed): a foreign domain changed")
        let after = try await world.snapshot()
        #expect(halfMade(after) == [])
        let down = after.domains.filter { $0.isOwned && ($0.power == .halted || $0.power == .crashed) }
        #expect(down.isEmpty, "seed \(seed): stopped domains left: \(down.map(\.name))")
        let preloads = after.domains.filter { $0.metadata[MetadataKey.role] == Role.preload.rawValue }
        for (template, count) in Dictionary(grouping: preloads, by: { $0.metadata[MetadataKey.template] ?? "" })
            .mapValues(\.count)
        {
            #expect(count <= desired.effectivePreloadMax(forDisposableTemplate: template), "seed \(seed): \(template)")
        }
    }

    /// 1-2 templates, 1-4 disposable templates, 0-3 named disposables, maybe a System.
    static func randomDesired(_ random: inout SplitMix) -> DesiredState {
        var state = DesiredState()
        let templates = (0..<Int.random(in: 1...2, using: &random)).map { "tpl\($0)" }
        for name in templates {
            state.templates[name] = Template(name: name, kernel: "/boot/\(name)",
                revision: .fixed(String(Int.random(in: 1...2, using: &random))))
        }
        let dvms = (0..<Int.random(in: 1...4, using: &random)).map { "dvm\($0)" }
        var named: [String] = []
        for name in (0..<Int.random(in: 0...3, using: &random)).map({ "sys\($0)" }) {
            let netvm: NetVM? = named.isEmpty || Bool.random(using: &random) ? nil : .domain(named.randomElement(using: &random) ?? "")
            state.namedDisposables[name] = NamedDisposable(
                name: name, template: dvms.randomElement(using: &random) ?? "",
                overrides: DisposableSettings(memory: .mebibytes(UInt64.random(in: 200...800, using: &random)), netvm: netvm),
                state: [nil, .running, .halted].randomElement(using: &random) ?? nil)
            named.append(name)
        }
        for name in dvms {
            let netvm: NetVM? = named.isEmpty || Bool.random(using: &random) ? nil : .domain(named.randomElement(using: &random) ?? "")
            state.disposableTemplates[name] = DisposableTemplate(
                name: name, template: templates.randomElement(using: &random) ?? "",
                settings: DisposableSettings(memory: .mebibytes(UInt64.random(in: 200...800, using: &random)),
                    vcpus: Int.random(in: 1...4, using: &random), netvm: netvm),
                preload: .init(max: Int.random(in: 0...5, using: &random),
                    delay: Interval(milliseconds: Int64.random(in: -3000...3000, using: &random))))
        }
        if Bool.random(using: &random) {
            state.system = SystemSettings(defaultDispVM: dvms.randomElement(using: &random),
                preload: .init(max: Bool.random(using: &random) ? Int.random(in: 0...4, using: &random) : nil,
                    threshold: .mebibytes(UInt64.random(in: 0...4096, using: &random))))
        }
        return state
    }
}
