import DispoConfig
import DispoEngine
@testable import DispoQubes
import Foundation
import Testing

/// The Qubes planner on hand-made observations (no I/O), and the recorded transcripts of the real qubesd replayed.
struct QubesPlannerTests {
    /// A dom0 with the TemplateVMs examples/qubes needs and nothing else.
    static func bareDom0(extra: [(String, String)] = []) -> QubesObservation {
        var observed = QubesObservation()
        for (name, klass) in [("dom0", "AdminVM"), ("debian-12-xfce", "TemplateVM"), ("fedora-41-xfce", "TemplateVM"),
            ("whonix-workstation-17", "TemplateVM")] + extra
        {
            observed.listed[name] = .init(name: name, klass: klass, state: "Halted", uuid: "")
        }
        return observed
    }

    @Test func fromNothingEverythingIsCreatedInDependencyOrder() throws {
        let plan = QubesPlanner.plan(try loadExample(), Self.bareDom0())
        #expect(plan.problems.isEmpty)
        let ops = plan.changes.map { "\($0.qube) \($0.op) \($0.detail)" }
        func position(_ text: String) -> Int { ops.firstIndex { $0.hasPrefix(text) } ?? -1 }
        #expect(position("dvm-sys create") >= 0)
        #expect(position("dvm-sys set template_for_dispvms") < position("sys-net create"))
        #expect(position("sys-net set provides_network") < position("sys-firewall set netvm sys-net"))
        #expect(position("default-dvm set netvm sys-firewall") < position("default-dvm set feature preload-dispvm-max"))
        #expect(position("dom0 set default_dispvm") > position("default-dvm create"))
        #expect(position("sys-net start") > position("sys-net set netvm"))
        #expect(plan.index == ["default-dvm", "dvm-sys", "fedora-41-xfce-dvm", "sys-firewall", "sys-net", "sys-usb",
            "whonix-workstation-17-dvm"])
        #expect(plan.changes.allSatisfy { !$0.pending })
    }

    @Test func aMissingTemplateVMBlocksWhatIsMadeFromIt() throws {
        var observed = Self.bareDom0()
        observed.listed["debian-12-xfce"] = nil
        let plan = QubesPlanner.plan(try loadExample(), observed)
        let subjects = Set(plan.problems.map(\.subject))
        #expect(subjects.isSuperset(of: ["debian-12-xfce", "default-dvm", "dvm-sys", "sys-net", "System"]))
        #expect(plan.problems.first { $0.subject == "debian-12-xfce" }?.message.contains("qvm-template install") == true)
        let touched = Set(plan.changes.map(\.qube))
        #expect(touched.isDisjoint(with: ["default-dvm", "dvm-sys", "sys-net", "sys-firewall", "sys-usb"]))
        #expect(touched.contains("fedora-41-xfce-dvm"))
        #expect(!plan.changes.contains { if case .setGlobalProperty = $0.operation { true } else { false } })
    }

    @Test func aForeignQubeOfADeclaredNameIsAConflictAndUntouched() throws {
        var observed = Self.bareDom0(extra: [("default-dvm", "AppVM")])
        observed.details["default-dvm"] = .init()
        let plan = QubesPlanner.plan(try loadExample(), observed)
        #expect(plan.problems.contains { $0.subject == "default-dvm" && $0.message.contains("did not make") })
        #expect(!plan.changes.contains { $0.qube == "default-dvm" })
        #expect(!plan.index.contains("default-dvm"))
    }

    @Test func onlyDisposQubesArePrunedAndTheIndexFollows() throws {
        var observed = Self.bareDom0(extra: [("old-dvm", "AppVM"), ("users-dvm", "AppVM"), ("sys-old", "DispVM")])
        var owned = QubesObservation.Details()
        owned.tags = [QubesVocabulary.ownerTag]
        observed.details["old-dvm"] = owned
        observed.details["sys-old"] = owned
        observed.details["users-dvm"] = .init()
        observed.dom0Features[QubesVocabulary.indexFeature] = "old-dvm sys-old users-dvm"
        let plan = QubesPlanner.plan(DesiredState(), observed)
        let removals = plan.changes.filter { $0.operation == .remove }.map(\.qube)
        #expect(removals == ["sys-old", "old-dvm"], "named disposables first")
        #expect(plan.index.isEmpty)
        #expect(plan.indexChanged)
    }

    @Test func aRunningNamedDisposableWithANewSpecWaitsForTheRestartFlag() throws {
        let desired = try loadExample()
        let qube = try #require(DesiredQube.all(in: desired)["sys-usb"])
        var observed = Self.bareDom0(extra: [("sys-usb", "DispVM")])
        observed.listed["sys-usb"]?.state = "Running"
        var details = QubesObservation.Details()
        details.tags = [QubesVocabulary.ownerTag, "usb"]
        for (name, value) in qube.properties { details.properties[name] = .init(value: value, isDefault: false, type: "") }
        details.properties["template"] = .init(value: "dvm-sys", isDefault: false, type: "vm")
        details.properties["memory"] = .init(value: "200", isDefault: false, type: "int")
        details.features = [QubesVocabulary.revisionFeature: "old", QubesVocabulary.tagsFeature: "usb"]
        details.featureNames = Set(details.features.keys)
        observed.details["sys-usb"] = details
        let usb = { (plan: QubesPlan) in plan.changes.filter { $0.qube == "sys-usb" } }

        let waiting = usb(QubesPlanner.plan(desired, observed))
        #expect(waiting.map(\.op) == ["set", "restart"], "\(waiting)")
        #expect(waiting.last?.pending == true)
        let restarting = usb(QubesPlanner.plan(desired, observed, options: .init(restart: true)))
        #expect(restarting.last?.operation == .restart(revision: qube.revision))
        #expect(restarting.last?.pending == false)
    }

    /// Replays what the real qubesd answered to `apply` of examples/qubes from nothing and to the `diff` after it
    /// (recorded by QubesScenarioTests.recordTranscripts): the same calls in the same numbers, then in sync.
    @Test func theRecordedApplyAndDiffReplay() async throws {
        let url = try #require(Bundle.module.url(forResource: "apply-examples-qubes", withExtension: "json",
            subdirectory: "Fixtures"))
        let entries = try TranscriptEntry.load(url)
        let transport = ReplayTransport(entries)
        let client = AdminClient(transport: transport)
        let desired = try loadExample()
        let outcome = try await QubesReconciler(client: client).converge(desired)
        #expect(outcome.converged)
        #expect(outcome.failures.isEmpty)
        let applyCalls = client.callCount
        client.resetCounts()
        let plan = try await QubesReconciler(client: client).plan(desired)
        #expect(plan.isInSync, "\(plan.changes)")
        let diffCalls = client.callCount
        #expect(applyCalls + diffCalls + 1 == entries.count)
        // the no-op diff reads with listings: one List, one global GetAll, per qube GetAll + tag.List + feature.List
        #expect(client.calls["admin.vm.List"] == 1)
        #expect(client.calls["admin.vm.property.GetAll"] == 7)
        #expect(client.calls["admin.vm.property.Get"] == nil)
        do {
            _ = try await client.call("admin.vm.Start", "no-such-qube")
            Issue.record("no error")
        } catch {
            #expect(error.exceptionType == "QubesVMNotFoundError")
        }
        #expect(transport.unused.isEmpty)
    }

    /// Replays a cold hand-out and its release as the real qubesd answered them: CreateDisposable, List (not
    /// running: not a preload), Start, `xid`; then GetAll and Kill.
    @Test func theRecordedColdRequestReplays() async throws {
        let url = try #require(Bundle.module.url(forResource: "request-cold", withExtension: "json",
            subdirectory: "Fixtures"))
        let entries = try TranscriptEntry.load(url)
        let transport = ReplayTransport(entries)
        let client = AdminClient(transport: transport)
        let requester = QubesRequester(client: client)
        let handout = try await requester.request("@dispvm:@tag:anon-vm", source: nil, desired: try loadExample())
        #expect(!handout.preloaded)
        #expect(handout.template == "whonix-workstation-17-dvm")
        #expect(handout.name.hasPrefix("disp"))
        #expect(handout.domid > 0)
        #expect(client.calls == ["admin.vm.CreateDisposable": 1, "admin.vm.List": 1, "admin.vm.Start": 1,
            "admin.vm.property.Get": 1])
        try await requester.release(handout.name)
        #expect(transport.unused.isEmpty)
    }
}
