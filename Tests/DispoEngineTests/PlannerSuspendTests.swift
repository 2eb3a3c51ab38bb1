import DispoConfig
import DispoEngine
import DispoHost
import DispoTestKit
import Foundation
import Testing

/// A host suspend in the planner: every preload goes (reason `suspend`), none is made, disposables in use and named
/// ones stay; and the rule that decides whether a suspend record is in force.
struct PlannerSuspendTests {
    static let suspension = HostSuspension(since: 1_800_000_000, awake: 100, boot: "b")
    static let yaml =
        baseYAML + """
            ---
            apiVersion: dispo/v1
            kind: NamedDisposable
            name: sys-net
            template: default-dvm
            state: running

            """

    @Test func everyPreloadIsRemovedAndNoneMade() {
        var world = World(Self.yaml)
        world.preload("disp1", of: "default-dvm", created: 1)
        world.preload("disp2", of: "default-dvm", created: 2, revision: "old")
        world.add("disp3", role: .preload, template: "default-dvm", stage: .starting, power: .running, created: 3)
        world.add("disp4", role: .preload, template: "default-dvm", stage: .paused, power: .running, created: 4)
        world.add("disp5", role: .unnamed, template: "default-dvm", stage: .used, power: .running, created: 5)
        world.add("sys-net", role: .named, template: "default-dvm", stage: .ready, power: .running)
        let plan = world.plan(suspension: Self.suspension)
        #expect(
            summary(plan) == [
                "destroy preload default-dvm disp1 suspend", "destroy preload default-dvm disp2 suspend",
                "destroy preload default-dvm disp3 suspend",
            ])
        #expect(plan.adoptions == ["disp4"], "one unpaused outside dispo is someone's: relabelled, not removed")
        #expect(plan.waits.map(\.kind) == [.suspended])
        #expect(plan.waits.first?.subject == "default-dvm")
        // Without the suspension the same host only refills.
        #expect(world.plan().actions.allSatisfy { $0.op != .destroy || $0.reason != .suspend })
    }

    @Test func anEmptyHostStaysEmptyAndInSync() {
        let world = World(baseYAML)
        let plan = world.plan(suspension: Self.suspension)
        #expect(plan.isInSync)
        #expect(plan.waits.map(\.kind) == [.suspended])
        #expect(summary(world.plan()).count == 3, "the refill the suspension holds")
    }

    @Test func preloadsInFlightAreLeftToTheirJob() {
        var world = World(baseYAML)
        world.preload("disp1", of: "default-dvm", created: 1)
        world.preload("disp2", of: "default-dvm", created: 2)
        let plan = world.plan(inFlight: ["disp2"], creating: ["default-dvm": 1], suspension: Self.suspension)
        #expect(summary(plan) == ["destroy preload default-dvm disp1 suspend"])
    }

    @Test func anEmptyConfigStillLosesItsPreloads() {
        var world = World("")
        world.preload("disp1", of: "default-dvm", created: 1)
        world.add("disp2", role: .unnamed, template: "default-dvm", stage: .used, power: .running)
        let plan = world.plan(suspension: Self.suspension)
        #expect(summary(plan) == ["destroy preload default-dvm disp1 suspend"])
        #expect(plan.waits.map(\.kind) == [.emptyConfig], "the rest is kept, as always")
    }

    @Test func theDiffNamesTheReason() throws {
        var world = World(baseYAML)
        world.preload("disp1", of: "default-dvm", created: 1)
        let data = try JSONEncoder().encode(DiffReport(world.plan(suspension: Self.suspension)))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let actions = try #require(json["actions"] as? [[String: Any]])
        #expect(actions.map { $0["reason"] as? String } == ["suspend"])
        #expect(actions.map { $0["op"] as? String } == ["destroy"])
        let waiting = try #require(json["waiting"] as? [[String: Any]])
        #expect(waiting.map { $0["reason"] as? String } == ["suspend"])
        #expect(json["in_sync"] as? Bool == false)
    }

    // MARK: - The record and its rule

    @Test func theRecordRoundTrips() {
        let record = HostSuspension(since: 1_800_000_123.5, awake: 42.25, boot: "3f2a-11")
        #expect(HostSuspension(encoded: record.encoded) == record)
        #expect(HostSuspension(encoded: HostSuspension(since: 1, awake: 2, boot: "").encoded)?.boot == "")
        for bad in ["", "since=1", "since=x awake=1 boot=b", "since=1 awake=1", "garbage", "since=1 awake=nan boot=b"] {
            #expect(HostSuspension(encoded: bad) == nil, "\(bad)")
        }
    }

    @Test func judgedByBootAndAwakeTime() {
        let clock = ManualClock()
        let record = HostSuspension(now: clock)
        let metadata = [HostMetadataKey.suspend: record.encoded]
        #expect(HostSuspension.judge([:], clock: clock) == .none)
        #expect(HostSuspension.judge(metadata, clock: clock) == .inForce(record))
        // A night asleep does not count: still in force right after the wake-up.
        clock.suspendHost(for: 8 * 3600)
        #expect(HostSuspension.judge(metadata, clock: clock).inForce == record)
        // Ten minutes awake without a `post` do.
        clock.advance(by: HostSuspension.limit - 1)
        #expect(HostSuspension.judge(metadata, clock: clock).inForce == record)
        clock.advance(by: 2)
        guard case .ignored(let reason) = HostSuspension.judge(metadata, clock: clock) else {
            Issue.record("a record older than the limit must be ignored")
            return
        }
        #expect(reason.contains("601 s ago"), "\(reason)")
    }

    @Test func aRecordOfAnEarlierBootIsIgnored() {
        let clock = ManualClock()
        let metadata = [HostMetadataKey.suspend: HostSuspension(now: clock).encoded]
        clock.reboot(as: "boot-2")
        guard case .ignored(let reason) = HostSuspension.judge(metadata, clock: clock) else {
            Issue.record("a record of another boot must be ignored")
            return
        }
        #expect(reason.contains("earlier boot"))
        guard case .ignored = HostSuspension.judge([HostMetadataKey.suspend: "junk"], clock: clock) else {
            Issue.record("an unreadable record must be ignored")
            return
        }
    }
}
