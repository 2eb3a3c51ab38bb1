import DispoConfig
import DispoEngine
import DispoHost
import DispoSim
import DispoTestKit
import Foundation
import Testing

/// The coordinator the reconciler and the broker share, and the hand-out paths built on it.
struct CoordinatorTests {
    @Test func aHoldKeepsJobsAndOtherHoldersOff() {
        let coordinator = Coordinator()
        #expect(coordinator.hold("disp1"))
        #expect(!coordinator.hold("disp1"), "one holder at a time")
        coordinator.begin(job: "disp2", creating: "dvm")
        #expect(!coordinator.hold("disp2"), "a job's name cannot be held")
        #expect(coordinator.busy == ["disp1", "disp2"])
        coordinator.release("disp1")
        #expect(coordinator.hold("disp1"))
    }

    @Test func aWaiterIsWokenByTheCreationNotByTime() async {
        let coordinator = Coordinator()
        let clock = ManualClock()
        coordinator.begin(job: "disp7", creating: "dvm")
        let waiter = Task {
            await coordinator.nextCreated(of: "dvm", since: clock.now(), excluding: [], until: clock.now() + 60,
                clock: clock)
        }
        await clock.waitForSleepers(1)  // the waiter's deadline
        coordinator.end(job: "disp7", creating: "dvm", at: clock.now(), succeeded: true)
        #expect(await waiter.value == "disp7")
        #expect(clock.now() == 1_800_000_000, "no time had to pass")
    }

    @Test func aWaiterGivesUpAtItsDeadlineOrWhenNothingIsMade() async {
        let coordinator = Coordinator()
        let clock = ManualClock()
        #expect(await coordinator.nextCreated(of: "dvm", since: 0, excluding: [], until: 1e12, clock: clock) == nil,
            "nothing is being made: no wait")
        coordinator.begin(job: "disp7", creating: "dvm")
        let waiter = Task {
            await coordinator.nextCreated(of: "dvm", since: clock.now(), excluding: [], until: clock.now() + 5,
                clock: clock)
        }
        await clock.waitForSleepers(1)
        clock.advance(by: 5)
        #expect(await waiter.value == nil)
        coordinator.end(job: "disp7", creating: "dvm", at: clock.now(), succeeded: false)
        #expect(await coordinator.nextCreated(of: "dvm", since: 0, excluding: [], until: 1e12, clock: clock) == nil)
    }

    @Test func aCreationFinishedJustBeforeTheRequestLookedIsTaken() async {
        let coordinator = Coordinator()
        let clock = ManualClock()
        coordinator.begin(job: "disp7", creating: "dvm")
        coordinator.end(job: "disp7", creating: "dvm", at: clock.now(), succeeded: true)
        #expect(await coordinator.nextCreated(of: "dvm", since: clock.now() - 1, excluding: [], until: clock.now(),
            clock: clock) == "disp7")
        #expect(await coordinator.nextCreated(of: "dvm", since: clock.now() - 1, excluding: ["disp7"],
            until: clock.now(), clock: clock) == nil, "one already tried is not offered again")
    }

    /// What a hand-out finishes after its answer keeps the name held, and settling waits for it.
    @Test func settlingWaitsForARecordStillBeingWritten() async {
        let coordinator = Coordinator()
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        #expect(coordinator.hold("disp3"))
        coordinator.finishInBackground("disp3") {
            for await _ in gate { break }
        }
        let settled = Task {
            await coordinator.settle()
            return coordinator.busy
        }
        for _ in 0..<20 { await Task.yield() }
        #expect(coordinator.busy == ["disp3"], "held until its record is written")
        open.yield()
        #expect(await settled.value.isEmpty, "settled once it was written, and the hold ended with it")
    }

    @Test func stampsNeverGoBackwards() async {
        let coordinator = Coordinator()
        let clock = VirtualClock()
        let first = coordinator.stamp(clock)
        clock.stepWall(by: -3600)
        let second = coordinator.stamp(clock)
        #expect(second > first)
        let snapshot = HostSnapshot(domains: [Domain(name: "disp1", uuid: "u", domid: 1, power: .paused,
            memory: .mebibytes(1), maxmem: .mebibytes(1), metadata: [MetadataKey.created: String(first + 100)])],
            freeMemory: .mebibytes(1), totalMemory: .mebibytes(1))
        coordinator.observe(snapshot)
        #expect(coordinator.stamp(clock) > first + 100, "never before a record the host already has")
    }

    /// A request that finds the queue empty while a preload is being made takes that one when it is ready,
    /// without a single snapshot while it waits (manual time: the test steps it from deadline to deadline).
    @Test func aRequestWaitingForAStartingPreloadTakesNoSnapshots() async throws {
        let clock = ManualClock()
        let host = SimHost(store: MemorySimStore(SimState(totalMemory: .mebibytes(16 * 1024), bootSeconds: 5, seed: 7)),
            clock: clock)
        let desired = desiredState(BrokerTests.config.replacingOccurrences(of: "max: 4", with: "max: 1"))
        let reconciler = Reconciler(host: host, clock: clock, random: SeededRandomSource(seed: 1))
        let launched = try await reconciler.launch(desired) {}
        #expect(launched.started == 1, "one preload is being made")
        let counting = CountingHost(host)
        let broker = Broker(host: counting, clock: clock, random: SeededRandomSource(seed: 4),
            coordinator: reconciler.coordinator, strategy: .leaseOwner)
        let request = Task { try await broker.request(.defaultDispVM, source: nil, desired: desired) }
        while reconciler.coordinator.creating["default-dvm"] != nil {
            await clock.waitForSleepers(1)
            for _ in 0..<5 { await Task.yield() }
            if let next = clock.nextDeadline { clock.advance(by: max(0, next - clock.now())) }
        }
        let handout = try await request.value
        #expect(handout.preloaded, "the preload being made, not a cold one")
        #expect(counting.snapshots == 1, "one fresh look when the view had none, none while waiting")
        #expect(counting.domainReads == 1, "then only that one domain is read")
    }

    /// Qubes' negative delay: refill only once the queue is empty, |delay| after the use that emptied it.
    @Test func negativeDelayCountsFromTheUseThatEmptiedTheQueue() async throws {
        let world = SimWorld(boot: 1)
        let yaml = BrokerTests.config.replacingOccurrences(of: "max: 4", with: "max: 2, delay: -3s")
        let desired = desiredState(yaml)
        let reconciler = world.reconciler()
        _ = try await reconciler.converge(desired)
        let broker = Broker(host: world.host, clock: world.clock, random: SeededRandomSource(seed: 4))
        _ = try await broker.request(.defaultDispVM, source: nil, desired: desired)
        let (afterFirst, ranFirst) = try await reconciler.pass(desired)
        #expect(ranFirst == 0 && afterFirst.waits.contains { $0.kind == .untilEmpty }, "\(afterFirst.waits)")
        world.clock.advance(by: 3.3)
        let emptiedAt = world.clock.now()
        _ = try await broker.request(.defaultDispVM, source: nil, desired: desired)
        let (afterSecond, ranSecond) = try await reconciler.pass(desired)
        #expect(ranSecond == 0, "3 s count from the second use, not the first")
        let until = try #require(MonotonicTimeTests.delayUntil(afterSecond), "\(afterSecond.waits)")
        #expect(abs(until - (emptiedAt + 3)) < 0.1)
        world.clock.advance(by: 3.1)
        let (_, ran) = try await reconciler.pass(desired)
        #expect(ran >= 1, "refills after the delay")
    }
}
