import DispoTestKit
import DispoConfig
import DispoEngine
import DispoHost
import Foundation
import Testing

/// Refill, the global max override, trim and memory admission.
struct PlannerRefillTests {
    @Test func emptyHostFillsTheQueue() {
        let world = World(baseYAML)
        #expect(summary(world.plan()) == Array(repeating: "create preload default-dvm (new) refill", count: 3))
        #expect(world.plan().actions.allSatisfy { $0.wave == 1 })
    }

    @Test func fullQueueIsInSync() {
        var world = World(baseYAML)
        for index in 1...3 { world.preload("disp\(index)", of: "default-dvm", created: Double(index)) }
        #expect(world.plan().isInSync)
    }

    static let twoTemplates = baseYAML + """
        ---
        apiVersion: dispo/v1
        kind: DisposableTemplate
        name: work
        template: debian-12
        preload: { max: 2 }
        ---
        apiVersion: dispo/v1
        kind: System
        default_dispvm: DEFAULT
        preload: { max: GLOBAL }

        """

    @Test(arguments: [
        // (default_dispvm, global max, expected creates for default-dvm, for work)
        ("default-dvm", "1", 1, 2), ("default-dvm", "0", 0, 2), ("work", "5", 3, 5), ("work", "0", 3, 0),
    ])
    func globalMaxOverridesOnlyTheDefaultDispVM(defaultDispVM: String, global: String, dvm: Int, work: Int) {
        let yaml = Self.twoTemplates.replacingOccurrences(of: "DEFAULT", with: defaultDispVM)
            .replacingOccurrences(of: "GLOBAL", with: global)
        let actions = World(yaml).plan().actions
        #expect(actions.count { $0.template == "default-dvm" && $0.op == .create } == dvm)
        #expect(actions.count { $0.template == "work" && $0.op == .create } == work)
    }

    @Test func loweringMaxTrimsNewestFirst() {
        var world = World(baseYAML.replacingOccurrences(of: "max: 3", with: "max: 1"))
        world.preload("disp30", of: "default-dvm", created: 30)
        world.preload("disp10", of: "default-dvm", created: 10)
        world.preload("disp20", of: "default-dvm", created: 20)
        #expect(summary(world.plan()) == [
            "destroy preload default-dvm disp30 trim", "destroy preload default-dvm disp20 trim",
        ])
    }

    @Test func preloadsBeingCreatedCountTowardTheQueue() {
        var world = World(baseYAML)
        world.preload("disp1", of: "default-dvm", created: 1)
        #expect(world.plan(creating: ["default-dvm": 1]).actions.count == 1)
        #expect(world.plan(creating: ["default-dvm": 2]).isInSync)
    }

    static let thresholdYAML = baseYAML + """
        ---
        apiVersion: dispo/v1
        kind: System
        preload: { threshold: 1000MiB }

        """

    @Test(arguments: [
        // free MiB -> preloads admitted (memory 400 MiB each, threshold 1000 MiB, vacancy 3)
        (999, 0), (1000, 0), (1399, 0), (1400, 1), (1799, 1), (1800, 2), (2199, 2), (2200, 3), (9000, 3),
    ])
    func thresholdAdmissionIsExact(freeMiB: UInt64, admitted: Int) {
        var world = World(Self.thresholdYAML)
        world.free = .mebibytes(freeMiB)
        let plan = world.plan()
        #expect(plan.actions.count == admitted)
        let waiting = plan.waits.compactMap { wait -> Int? in
            if case .memory(let count) = wait.kind { return count }
            return nil
        }
        #expect(waiting == (admitted < 3 ? [3 - admitted] : []))
    }

    @Test func memoryIsSharedAcrossTemplatesInOrder() {
        var world = World(Self.twoTemplates.replacingOccurrences(of: "DEFAULT", with: "work")
            .replacingOccurrences(of: "max: GLOBAL", with: "threshold: 0"))
        world.free = .mebibytes(1200)
        let actions = world.plan().actions
        #expect(actions.count { $0.template == "work" } == 2, "default_dispvm is served first")
        #expect(actions.count { $0.template == "default-dvm" } == 1)
    }
}
