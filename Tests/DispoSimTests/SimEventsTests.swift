import DispoTestKit
import DispoConfig
import DispoHost
import Testing

@testable import DispoSim

/// `events()`: the poller notices shutdowns, crashes and unpauses behind dispo's back.
struct SimEventsTests {
    @Test func shutdownCrashAndExternalUnpauseAreReported() async throws {
        let clock = ManualClock()
        let host = Fixture.host(SimState(bootSeconds: 0), clock: clock)
        try await host.started("a")
        try await host.started("b")
        try await host.started("c")
        try await host.pause("c")
        var events = host.events().makeAsyncIterator()
        await clock.waitForSleepers()

        try await host.admin.guestShutdown("a")
        try await host.admin.crash("b")
        try await host.admin.unpauseBehindDispo("c")
        clock.advance(by: 0.25)
        var seen: [HostEvent] = []
        for _ in 0..<3 { if let event = await events.next() { seen.append(event) } }
        #expect(seen == [.shutdown("a"), .crashed("b"), .unpaused("c")])
        #expect(try await host.store.read().domains.last?.unpausedExternally == true)

        await clock.waitForSleepers()
        try await host.destroy("a")
        clock.advance(by: 0.25)
        #expect(await events.next() == .changed)
    }

    @Test func theEventsOfTwoLooksAreComputedPerDomain() {
        typealias Summary = EventDiff.Summary
        func summary(_ name: String, _ domid: Int, _ power: PowerState, _ stage: String = "paused") -> Summary {
            var domain = SimDomain(
                name: name, uuid: "", domid: domid, power: power, memory: 0, maxmem: 0, at: 0)
            domain.metadata = ["stage": stage]
            return Summary(name: domain.name, domid: domain.domid, power: domain.power, metadata: domain.metadata)
        }
        let before = [summary("a", 1, .running), summary("b", 2, .paused), summary("c", 3, .running)]
        #expect(EventDiff.events(from: before, to: before).isEmpty)
        #expect(
            EventDiff.events(
                from: before, to: [summary("a", 1, .running), summary("b", 2, .running), summary("c", 3, .running)])
                == [.unpaused("b")])
        #expect(
            EventDiff.events(
                from: before, to: [summary("a", 1, .paused), summary("b", 2, .paused), summary("c", 3, .running)])
                == [.changed])
        #expect(
            EventDiff.events(from: before, to: [summary("a", 1, .running), summary("b", 2, .paused, "used")]) == [
                .changed
            ])
        #expect(
            EventDiff.events(
                from: before, to: [summary("a", 1, .running), summary("b", 2, .paused), summary("c", 9, .crashed)])
                == [.crashed("c"), .changed])
    }

    @Test func theStreamEndsWhenTheConsumerCancels() async throws {
        let clock = ManualClock()
        let host = Fixture.host(clock: clock)
        let consumer = Task {
            var count = 0
            for await _ in host.events() { count += 1 }
            return count
        }
        await clock.waitForSleepers()
        consumer.cancel()
        #expect(await consumer.value == 0)
        while clock.sleeperCount > 0 { try await Task.sleep(for: .milliseconds(1)) }
    }
}
