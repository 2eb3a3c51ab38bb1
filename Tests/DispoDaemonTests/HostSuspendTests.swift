import DispoConfig
import DispoDaemon
import DispoEngine
import DispoHost
import DispoSim
import DispoTestKit
import Foundation
import Synchronization
import Testing

/// A host suspend through the controller, in virtual time: `dispo sleep pre` removes every preload (paused and
/// starting) and holds the refill, `post` lets the queues refill; the hold survives a restart and ends by itself
/// on another boot or after ten minutes awake.
struct HostSuspendTests {
    static let yaml =
        config(max: 3) + """
            ---
            apiVersion: dispo/v1
            kind: NamedDisposable
            name: sys-net
            template: default-dvm
            state: running

            """

    /// Runs `body` while stepping virtual time (at most 120 s of it), and returns its outcome.
    static func stepping<Value: Sendable>(
        _ world: ControllerWorld, _ body: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let done = Done()
        let task = Task {
            defer { done.set() }
            return try await body()
        }
        await world.settle(seconds: 120) { done.isSet }
        return try await task.value
    }

    static func suspend(_ world: ControllerWorld, timeout: Double = 45) async throws -> SuspendReport {
        let controller = world.controller
        return try await stepping(world) { try await controller.suspendHost(timeout: timeout) }
    }

    /// Owned preloads on the host, in any stage.
    static func preloads(_ world: ControllerWorld) async throws -> [String] {
        try await world.snapshot.domains.filter { $0.isOwned && $0.metadata[MetadataKey.role] == "preload" }.map(\.name)
    }

    /// A full queue, sys-net running, one disposable in use and a preload starting (the refill after that use).
    static func busyWorld(boot: Double = 4) async throws -> (ControllerWorld, used: String) {
        let world = ControllerWorld(yaml, boot: boot)
        world.start()
        #expect(
            try await world.settle(seconds: 300) {
                let running = try await world.snapshot.domain(named: "sys-net")?.power == .running
                let full = try await world.queue("default-dvm").count == 3
                return running && full
            })
        let controller = world.controller
        let handout = try await stepping(world) { try await controller.request(target: "default-dvm", source: nil) }
        #expect(handout.preloaded)
        let starting = try await world.settle(seconds: 30) {
            try await world.snapshot.domains.contains {
                $0.metadata[MetadataKey.role] == "preload" && $0.metadata[MetadataKey.stage] == "starting"
            }
        }
        #expect(starting, "the refill after the use is under way")
        return (world, handout.name)
    }

    @Test func preRemovesPausedAndStartingPreloadsAndLeavesTheRestAlone() async throws {
        let (world, used) = try await Self.busyWorld()
        let before = try await Self.preloads(world)
        #expect(before.count == 3, "two paused and one starting: \(before)")
        let report = try await Self.suspend(world)
        #expect(report.removed == 3)
        #expect(report.left.isEmpty)
        #expect(report.suspended && report.via == "controller")
        #expect(try await Self.preloads(world).isEmpty)
        let snapshot = try await world.snapshot
        #expect(snapshot.domain(named: used)?.power == .running, "the disposable in use stays")
        #expect(snapshot.domain(named: "sys-net")?.power == .running, "the named disposable stays")
        #expect(halfMade(snapshot).isEmpty, "the cancelled creation left nothing behind")
        #expect(snapshot.metadata[HostMetadataKey.suspend] != nil)
        await world.stop()
    }

    @Test func nothingRefillsWhileSuspendedThenPostRefillsToFull() async throws {
        let (world, _) = try await Self.busyWorld()
        _ = try await Self.suspend(world)
        await world.pass(300)  // ten resyncs, far past the 3 s refill delay and any back-off
        #expect(try await Self.preloads(world).isEmpty)
        let status = try await world.controller.status()
        #expect(status.suspend != nil, "status shows the hold")
        #expect(status.templates.first?.preload.ready == 0)
        world.controller.metrics.update(from: status)
        #expect(world.controller.metrics.exposition().contains("dispo_host_suspended 1"))
        let plan = try await world.controller.currentPlan()
        #expect(plan.waits.contains { $0.kind == .suspended && $0.subject == "default-dvm" })

        let mark = await world.controller.events(after: 0, waiting: .zero).last
        let resumed = try await world.controller.resumeHost()
        #expect(resumed.wasSuspended && resumed.refilling && !resumed.suspended)
        #expect(resumed.heldSeconds.map { $0 >= 300 } == true, "\(String(describing: resumed.heldSeconds))")
        #expect(try await world.settle(seconds: 120) { try await world.queue("default-dvm").count == 3 })
        // Slow start: one creation first, more only once it succeeded.
        let events = await world.controller.events(after: mark, waiting: .zero).events
        let firstDone = try #require(events.firstIndex { $0.type == .done && $0.action == "create" })
        #expect(events[..<firstDone].count { $0.type == .started && $0.action == "create" } == 1)
        #expect(events.contains { $0.type == .hostResumed })
        let after = try await world.controller.status()
        #expect(after.suspend == nil)
        world.controller.metrics.update(from: after)
        #expect(world.controller.metrics.exposition().contains("dispo_host_suspended 0"))
        await world.stop()
    }

    @Test func aRequestWhileSuspendedStartsCold() async throws {
        let world = ControllerWorld(config(max: 2))
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })
        _ = try await Self.suspend(world)
        let controller = world.controller
        let handout = try await Self.stepping(world) {
            try await controller.request(target: "default-dvm", source: nil)
        }
        #expect(!handout.preloaded, "no preload is there: a cold start, never a failure")
        #expect(try await world.snapshot.domain(named: handout.name)?.power == .running)
        await world.pass(60)
        #expect(try await Self.preloads(world).isEmpty, "the use does not set a refill off")
        await world.stop()
    }

    @Test func aControllerRestartedWhileSuspendedStaysSuspended() async throws {
        let first = ControllerWorld(config(max: 2))
        first.start()
        #expect(try await first.settle { try await first.queue("default-dvm").count == 2 })
        _ = try await Self.suspend(first)
        await first.stop()
        let second = ControllerWorld(config(max: 2), sharing: first)
        second.start()
        await second.pass(120)
        #expect(try await Self.preloads(second).isEmpty, "the new controller holds the queues too")
        #expect(try await second.controller.status().suspend != nil)
        _ = try await second.controller.resumeHost()
        #expect(try await second.settle { try await second.queue("default-dvm").count == 2 })
        await second.stop()
    }

    @Test func withoutPostTheHoldEndsAfterTenMinutesAwake() async throws {
        let world = ControllerWorld(config(max: 2))
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })
        _ = try await Self.suspend(world)
        // A night asleep does not count (systemd had not run the post hook yet)...
        world.clock.suspendHost(for: 8 * 3600)
        await world.pass(HostSuspension.limit - 60)
        #expect(try await Self.preloads(world).isEmpty)
        // ...ten minutes awake do: the next pass warns, removes the record and refills.
        #expect(try await world.settle(seconds: 180) { try await world.queue("default-dvm").count == 2 })
        #expect(try await world.snapshot.metadata[HostMetadataKey.suspend] == nil)
        let events = await world.controller.events(after: 0, waiting: .zero).events
        #expect(events.contains { $0.type == .suspendIgnored && $0.detail?.contains("never came") == true })
        await world.stop()
    }

    @Test func aHoldFromAnEarlierBootIsIgnored() async throws {
        let world = ControllerWorld(config(max: 2))
        let record = HostSuspension(since: world.clock.wallNow(), awake: world.clock.awake(), boot: "an-earlier-boot")
        try await world.host.updateHostMetadata([HostMetadataKey.suspend: record.encoded])
        #expect(try await world.controller.status().suspend == nil, "status does not show a hold that does not count")
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 2 })
        #expect(try await world.snapshot.metadata[HostMetadataKey.suspend] == nil)
        let events = await world.controller.events(after: 0, waiting: .zero).events
        #expect(events.contains { $0.type == .suspendIgnored && $0.detail?.contains("earlier boot") == true })
        await world.stop()
    }

    @Test func aPreAgainRenewsTheHoldAndAPostWithoutPreIsFine() async throws {
        let world = ControllerWorld(config(max: 1))
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 1 })
        let none = try await world.controller.resumeHost()
        #expect(!none.wasSuspended && none.heldSeconds == nil)
        let first = try await Self.suspend(world)
        #expect(first.removed == 1)
        await world.pass(30)
        let second = try await Self.suspend(world)
        #expect(second.removed == 0 && second.left.isEmpty)
        await world.stop()
    }

    @Test func theTimeRunsOutWithThoseLeftNamed() async throws {
        // A destroy that hangs (a wedged toolstack): the suspend answers after its timeout, naming what is left.
        let stuck = StuckDestroys()
        let world = ControllerWorld(config(max: 1), host: { StuckDestroyHost(base: $0, stuck: stuck) })
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 1 })
        let name = try #require(try await world.queue("default-dvm").first)
        stuck.hold()
        let report = try await Self.suspend(world, timeout: 5)
        #expect(report.left == [name])
        #expect(report.removed == 0)
        #expect(report.seconds >= 5)
        stuck.release()
        #expect(try await world.settle(seconds: 10) { try await Self.preloads(world).isEmpty }, "it goes once unstuck")
        await world.stop()
    }
}

extension HostSuspendTests {
    @Test func aPostDuringThePreEndsIt() async throws {
        let stuck = StuckDestroys()
        let world = ControllerWorld(config(max: 1), host: { StuckDestroyHost(base: $0, stuck: stuck) })
        world.start()
        #expect(try await world.settle { try await world.queue("default-dvm").count == 1 })
        let name = try #require(try await world.queue("default-dvm").first)
        stuck.hold()
        let controller = world.controller
        let done = Done()
        let pre = Task {
            defer { done.set() }
            return try await controller.suspendHost(timeout: 300)
        }
        await world.pass(2)
        #expect(!done.isSet, "the removal hangs")
        _ = try await controller.resumeHost()
        await world.settle(seconds: 5) { done.isSet }
        #expect(done.isSet, "the post ended the pre well before its 300 s")
        let report = try await pre.value
        #expect(report.left.contains(name), "\(report.left): the stuck one, and maybe the refill the post let start")
        stuck.release()
        await world.stop()
    }
}

/// Destroys that wait while held (no time passes for them), then go through.
final class StuckDestroys: Sendable {
    private let state = Mutex((held: false, waiting: [CheckedContinuation<Void, Never>]()))

    func hold() { state.withLock { $0.held = true } }

    func release() {
        let waiting = state.withLock { state in
            state.held = false
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    func pass() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let through = state.withLock { state in
                if !state.held { return true }
                state.waiting.append(continuation)
                return false
            }
            if through { continuation.resume() }
        }
    }
}

/// The sim host with destroys held by ``StuckDestroys``.
struct StuckDestroyHost: DispoHost.Host {
    let base: SimHost
    let stuck: StuckDestroys

    var backend: String { base.backend }
    var location: String { base.location }
    func snapshot() async throws(HostError) -> HostSnapshot { try await base.snapshot() }
    func domain(named name: String) async throws(HostError) -> Domain? { try await base.domain(named: name) }
    func handOut(_ request: HandOutRequest) async throws(HostError) -> HandOutOutcome {
        try await base.handOut(request)
    }
    func create(_ request: CreateRequest) async throws(HostError) -> Domain { try await base.create(request) }
    func unpause(_ name: String) async throws(HostError) { try await base.unpause(name) }
    func pause(_ name: String) async throws(HostError) { try await base.pause(name) }
    func setMemoryTarget(_ name: String, _ target: Size) async throws(HostError) {
        try await base.setMemoryTarget(name, target)
    }
    func shutdown(_ name: String) async throws(HostError) { try await base.shutdown(name) }
    func destroy(_ name: String) async throws(HostError) {
        await stuck.pass()
        try await base.destroy(name)
    }
    func updateMetadata(_ name: String, _ values: [String: String?]) async throws(HostError) {
        try await base.updateMetadata(name, values)
    }
    func updateMetadata(
        _ name: String, _ values: [String: String?], ifMatching expected: [String: String]
    )
        async throws(HostError) -> Bool
    {
        try await base.updateMetadata(name, values, ifMatching: expected)
    }
    func updateHostMetadata(_ values: [String: String?]) async throws(HostError) {
        try await base.updateHostMetadata(values)
    }
    func waitReady(_ name: String, readiness: Readiness?, timeout: Interval) async throws(HostError) {
        try await base.waitReady(name, readiness: readiness, timeout: timeout)
    }
    func fingerprint(files: [String]) async -> String { await base.fingerprint(files: files) }
    func events() -> AsyncStream<HostEvent> { base.events() }
}
