import DispoTestKit
import DispoConfig
import DispoEngine
import DispoHost
import Foundation
import Testing

/// Named disposables: state, pending restarts, netvm order, conflicts; and refill timing rules.
struct PlannerNamedTests {
    static let sysYAML = baseYAML + """
        ---
        apiVersion: dispo/v1
        kind: DisposableTemplate
        name: dvm-sys
        template: debian-12
        ---
        apiVersion: dispo/v1
        kind: NamedDisposable
        name: sys-net
        template: dvm-sys
        state: running
        ---
        apiVersion: dispo/v1
        kind: NamedDisposable
        name: sys-firewall
        template: dvm-sys
        netvm: sys-net
        state: running
        ---
        apiVersion: dispo/v1
        kind: DisposableTemplate
        name: web
        template: debian-12
        netvm: sys-firewall
        preload: { max: 1 }

        """

    @Test func namedStartInNetvmOrderThenPreloads() {
        let world = World(Self.sysYAML)
        let plan = world.plan()
        let order = plan.actions.map { "\($0.wave) \($0.op.rawValue) \($0.name ?? $0.template)" }
        #expect(order == [
            "1 start sys-net", "1 create default-dvm", "1 create default-dvm", "1 create default-dvm",
            "2 start sys-firewall", "3 create web",
        ])
    }

    @Test func haltedNetvmHoldsBackItsClients() {
        var world = World(Self.sysYAML.replacingOccurrences(of: "name: sys-net\ntemplate: dvm-sys\nstate: running",
            with: "name: sys-net\ntemplate: dvm-sys\nstate: halted"))
        world.desired.disposableTemplates["default-dvm"]?.preload.max = 0
        let plan = world.plan()
        #expect(plan.actions.isEmpty)
        #expect(plan.waits.map(\.kind) == [.netvm("sys-net"), .netvm("sys-firewall")])
    }

    @Test func specChangeIsAPendingRestartUnlessAsked() {
        var world = World(Self.sysYAML)
        world.desired.disposableTemplates["default-dvm"]?.preload.max = 0
        world.desired.disposableTemplates["web"]?.preload.max = 0
        world.add("sys-net", role: .named, template: "dvm-sys", stage: .ready, power: .running)
        world.add("sys-firewall", role: .named, template: "dvm-sys", stage: .ready, power: .running)
        #expect(world.plan().isInSync)
        world.desired.namedDisposables["sys-net"]?.overrides.memory = .mebibytes(512)
        #expect(summary(world.plan()) == ["restart named dvm-sys sys-net spec-changed pending"])
        #expect(summary(world.plan(options: .init(restart: true))) == ["restart named dvm-sys sys-net spec-changed"])
    }

    @Test func stateHaltedStopsClientsBeforeTheirNetvm() {
        var world = World(Self.sysYAML.replacingOccurrences(of: "state: running", with: "state: halted"))
        world.desired.disposableTemplates["default-dvm"]?.preload.max = 0
        world.desired.disposableTemplates["web"]?.preload.max = 0
        world.add("sys-net", role: .named, template: "dvm-sys", stage: .ready, power: .running)
        world.add("sys-firewall", role: .named, template: "dvm-sys", stage: .ready, power: .running)
        let plan = world.plan()
        #expect(plan.actions.map { "\($0.wave) \($0.op.rawValue) \($0.name ?? "")" } == [
            "-2 stop sys-firewall", "-1 stop sys-net",
        ])
    }

    @Test func disposablesGoBeforeTheNetvmTheyMayUse() {
        var world = World(Self.sysYAML.replacingOccurrences(of: "state: running", with: "state: halted"))
        world.desired.disposableTemplates["default-dvm"]?.preload.max = 0
        world.desired.disposableTemplates["web"]?.preload.max = 0
        world.add("sys-net", role: .named, template: "dvm-sys", stage: .ready, power: .running)
        world.add("sys-firewall", role: .named, template: "dvm-sys", stage: .ready, power: .running)
        world.add("disp7", role: .preload, template: "web", stage: .paused, power: .paused)
        world.add("disp8", role: .unnamed, template: "web", stage: .used, power: .halted)
        let plan = world.plan()
        #expect(plan.actions.map { "\($0.wave) \($0.op.rawValue) \($0.name ?? "")" } == [
            "-3 destroy disp8", "-3 destroy disp7", "-2 stop sys-firewall", "-1 stop sys-net",
        ])
    }

    @Test func haltedNamedDisposableIsRemovedAndStartedFresh() {
        var world = World(Self.sysYAML)
        world.add("sys-net", role: .named, template: "dvm-sys", stage: .ready, power: .halted)
        let named = summary(world.plan()).filter { $0.contains("sys-net") }
        #expect(named == ["destroy named dvm-sys sys-net cleanup", "start named dvm-sys sys-net state"])
    }

    @Test func foreignDomainWithTheSameNameIsAConflict() {
        var world = World(Self.sysYAML)
        world.foreign("sys-net")
        let plan = world.plan()
        #expect(!summary(plan).contains { $0.contains("sys-net") })
        #expect(plan.waits.contains { $0.subject == "sys-net" && $0.isError })
    }

    @Test func backoffHoldsBackTheRefill() {
        var world = World(baseYAML)
        world.now = 100
        let plan = world.plan(backoff: [BackoffKey.preload("default-dvm"): 160])
        #expect(plan.actions.isEmpty)
        #expect(plan.waits.map(\.kind) == [.backoff(until: 160)])
    }

    @Test(arguments: [
        // (delay, seconds since the use, queued after the use, expected creates)
        ("3s", 1.0, 2, 0), ("3s", 3.5, 2, 1), ("0", 0.0, 2, 1), ("-1s", 5.0, 2, 0), ("-1s", 0.5, 0, 0),
        ("-1s", 1.5, 0, 3),
    ])
    func refillDelayFollowsQubes(delay: String, since: Double, queued: Int, creates: Int) {
        var world = World(baseYAML.replacingOccurrences(of: "max: 3", with: "max: 3, delay: \(delay)"))
        world.now = 1000
        for index in 0..<queued { world.preload("disp\(index)", of: "default-dvm", created: 900 + Double(index)) }
        world.hostMetadata[HostMetadataKey.lastUsePrefix + "default-dvm"] = String(1000 - since)
        #expect(world.plan().actions.count == creates)
    }

    @Test func aUseOlderThanTheNewestPreloadNoLongerDelays() {
        var world = World(baseYAML.replacingOccurrences(of: "max: 3", with: "max: 3, delay: -1s"))
        world.preload("disp1", of: "default-dvm", created: 950)
        world.hostMetadata[HostMetadataKey.lastUsePrefix + "default-dvm"] = "900"
        world.now = 1000
        #expect(world.plan().actions.count == 2)
    }
}
