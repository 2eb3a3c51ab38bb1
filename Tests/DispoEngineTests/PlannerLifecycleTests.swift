import DispoTestKit
import DispoConfig
import DispoEngine
import DispoHost
import Foundation
import Testing

/// Refresh, cleanup, prune, adoption, the empty-config guard, and foreign domains.
struct PlannerLifecycleTests {
    static let twoOnOneTemplate = baseYAML + """
        ---
        apiVersion: dispo/v1
        kind: DisposableTemplate
        name: work
        template: debian-12
        preload: { max: 1 }

        """

    @Test func templateRevisionBumpRefreshesEveryDisposableTemplateOnIt() {
        var world = World(Self.twoOnOneTemplate)
        world.preload("disp1", of: "default-dvm", created: 1)
        world.preload("disp2", of: "default-dvm", created: 2)
        world.preload("disp3", of: "default-dvm", created: 3)
        world.preload("disp4", of: "work", created: 4)
        #expect(world.plan().isInSync)
        world.desired.templates["debian-12"]?.revision = .fixed("2")
        let plan = world.plan()
        #expect(plan.actions.filter { $0.op == .destroy }.map { "\($0.name ?? "") \($0.reason.rawValue)" } == [
            "disp1 refresh", "disp2 refresh", "disp3 refresh", "disp4 refresh",
        ])
        #expect(plan.actions.count { $0.op == .create } == 4, "the refill replaces them in the same plan")
        #expect(plan.actions.filter { $0.op == .destroy }.allSatisfy { $0.wave < 1 }, "destroys run first")
    }

    @Test func disposableTemplateSettingChangeRefreshesOnlyItsPreloads() {
        var world = World(Self.twoOnOneTemplate)
        world.preload("disp1", of: "default-dvm", created: 1)
        world.preload("disp4", of: "work", created: 4)
        world.desired.disposableTemplates["work"]?.settings.vcpus = 4
        #expect(summary(world.plan()).filter { $0.hasPrefix("destroy") } == ["destroy preload work disp4 refresh"])
    }

    @Test func equivalentSpellingsAreNeverDrift() {
        let spelled = baseYAML + "memory: 400\nmaxmem: 4000MiB\nvcpus: 2\nnetvm: none\n"
        let other = baseYAML.replacingOccurrences(of: "preload: { max: 3 }", with: "preload: { max: 3, delay: 3 }")
            + "memory: \"0.390625GiB\"\n"
        #expect(World(spelled).revisions == World(baseYAML).revisions)
        #expect(World(other).revisions == World(baseYAML).revisions)
    }

    @Test func stoppedCrashedAndInterruptedAreCleanedUp() {
        var world = World(baseYAML)
        world.add("disp1", role: .preload, template: "default-dvm", stage: .paused, power: .crashed)
        world.add("disp2", role: .preload, template: "default-dvm", stage: .starting, power: .running)
        world.add("disp3", role: .unnamed, template: "default-dvm", stage: .used, power: .halted)
        world.add("disp4", role: .unnamed, template: "default-dvm", stage: .used, power: .running)
        world.add("disp5", role: .unnamed, template: "default-dvm", stage: .starting, power: .running)
        world.add("disp6", role: .preload, template: "default-dvm", stage: .requested, power: .paused)
        let destroyed = world.plan().actions.filter { $0.op == .destroy }.map { "\($0.name ?? "") \($0.reason.rawValue)" }
        #expect(Set(destroyed) == ["disp1 cleanup", "disp2 cleanup", "disp3 cleanup", "disp5 cleanup", "disp6 cleanup"])
        #expect(destroyed.count == 5)
    }

    @Test func aHandOutInterruptedBeforeTheUnpauseIsRemovedAfterItIsUsed() {
        var world = World(baseYAML)
        world.add("disp1", role: .unnamed, template: "default-dvm", stage: .requested, power: .paused)
        world.add("disp2", role: .unnamed, template: "default-dvm", stage: .requested, power: .running)
        let plan = world.plan()
        #expect(plan.actions.filter { $0.op == .destroy }.map(\.name) == ["disp1"], "never unpaused: nobody has it")
        #expect(plan.adoptions == ["disp2"], "running: handed out, its used record is written now")
    }

    @Test func workInFlightIsLeftAlone() {
        var world = World(baseYAML)
        world.add("disp2", role: .preload, template: "default-dvm", stage: .starting, power: .running)
        let plan = world.plan(inFlight: ["disp2"], creating: ["default-dvm": 1])
        #expect(plan.actions.allSatisfy { $0.name != "disp2" })
        #expect(plan.actions.count { $0.op == .create } == 2)
    }

    @Test func unpauseBehindDisposBackIsAUseAndRefills() {
        var world = World(baseYAML)
        world.preload("disp1", of: "default-dvm", created: 1)
        world.preload("disp2", of: "default-dvm", created: 2)
        world.preload("disp3", of: "default-dvm", created: 3)
        world.domains[0].power = .running
        let plan = world.plan()
        #expect(plan.adoptions == ["disp1"])
        #expect(plan.actions.isEmpty, "the use just happened: the refill waits for preload.delay")
        #expect(plan.waits.map(\.kind) == [.delay(until: world.now + 3)])
        world.desired.disposableTemplates["default-dvm"]?.preload.delay = Interval(milliseconds: 0)
        #expect(summary(world.plan()) == ["create preload default-dvm (new) refill"])
    }

    @Test func removingAFilePrunesExactlyItsObjects() {
        let named = """
            ---
            apiVersion: dispo/v1
            kind: NamedDisposable
            name: sys-net
            template: work
            state: running

            """
        var world = World(Self.twoOnOneTemplate + named)
        world.preload("disp1", of: "default-dvm", created: 1)
        world.preload("disp2", of: "default-dvm", created: 2)
        world.preload("disp3", of: "default-dvm", created: 3)
        world.preload("disp4", of: "work", created: 4)
        world.add("sys-net", role: .named, template: "work", stage: .ready, power: .running)
        world.add("disp5", role: .unnamed, template: "work", stage: .used, power: .running)
        world.foreign("personal")
        #expect(world.plan().isInSync)
        world.desired.disposableTemplates["work"] = nil
        world.desired.namedDisposables["sys-net"] = nil
        #expect(summary(world.plan()) == [
            "destroy preload work disp4 prune", "destroy named work sys-net prune",
        ], "preloads before the named (a netvm goes last); the used disp5 stays; the rest is untouched")
    }

    @Test func emptyConfigRemovesNothingUnlessAllowed() {
        var world = World(baseYAML)
        world.preload("disp1", of: "default-dvm", created: 1)
        world.desired = DesiredState()
        let guarded = world.plan()
        #expect(guarded.actions.isEmpty)
        #expect(guarded.waits.map(\.kind) == [.emptyConfig])
        #expect(summary(world.plan(options: .init(allowEmpty: true))) == ["destroy preload default-dvm disp1 prune"])
    }

    @Test func foreignDomainsAreNeverTouched() {
        var world = World(baseYAML)
        world.foreign("disp7", metadata: ["role": "preload", "template": "default-dvm", "stage": "starting"])
        world.foreign("work-vm")
        world.domains.append(Domain(name: "disp8", uuid: "x", domid: 99, power: .crashed, memory: .mebibytes(1),
            maxmem: .mebibytes(1), metadata: ["owner": "someone-else", "role": "unnamed"]))
        let plan = world.plan()
        #expect(plan.actions.allSatisfy { $0.name == nil }, "\(summary(plan))")
        #expect(plan.adoptions.isEmpty)
    }
}
