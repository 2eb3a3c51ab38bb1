import DispoTestKit
import DispoConfig
import DispoHost
import Testing

@testable import DispoSim

/// `waitReady`: the boot time, the timeout, a ready fault, and a guest that dies while starting.
struct SimReadinessTests {
    @Test func aBootLongerThanTheTimeoutTimesOutAfterTheTimeout() async throws {
        let clock = VirtualClock()
        let host = Fixture.host(SimState(bootSeconds: 6), clock: clock)
        try await host.started("a")
        let start = clock.now()
        let error = await #expect(throws: HostError.self) {
            try await host.waitReady("a", readiness: Readiness(xenstore: "data/ready"), timeout: .seconds(5))
        }
        #expect(error?.code == .timeout)
        #expect(error?.description == "a: not ready after 5s (data/ready)")
        #expect(clock.now() - start == 5)
    }

    @Test func aBootAsLongAsTheTimeoutIsReady() async throws {
        let clock = VirtualClock()
        let host = Fixture.host(SimState(bootSeconds: 5), clock: clock)
        try await host.started("a")
        try await host.waitReady("a", readiness: nil, timeout: .seconds(5))
    }

    @Test func aReadyFaultWaitsTheWholeTimeout() async throws {
        let clock = VirtualClock()
        let host = Fixture.host(SimState(bootSeconds: 1), clock: clock)
        try await host.started("a")
        try await host.admin.injectFault(operation: .ready, count: 1)
        let start = clock.now()
        let error = await #expect(throws: HostError.self) {
            try await host.waitReady("a", readiness: nil, timeout: Interval(milliseconds: 7500))
        }
        #expect(error?.code == .timeout)
        #expect(clock.now() - start == 7.5)
    }

    @Test func aNeverStartedDomainIsAnInvalidState() async throws {
        let host = Fixture.host()
        _ = try await host.create(Fixture.request("a"))
        let error = await #expect(throws: HostError.self) {
            try await host.waitReady("a", readiness: nil, timeout: .seconds(5))
        }
        #expect(error?.code == .invalidState)
    }

    /// What can happen to a guest while it is waited for; each fails the wait at once.
    enum Interruption: String, CaseIterable, Sendable {
        case crash, destroy, remake

        var message: String {
            switch self {
            case .crash: "a: crashed while starting"
            case .destroy, .remake: "a: was destroyed while starting"
            }
        }
    }

    @Test(arguments: Interruption.allCases)
    func aGuestInterruptedWhileStartingFails(interruption: Interruption) async throws {
        let clock = ManualClock()
        let host = Fixture.host(SimState(bootSeconds: 2), clock: clock)
        try await host.started("a")
        let waiting = Task {
            try await host.waitReady("a", readiness: nil, timeout: .seconds(60))
        }
        await clock.waitForSleepers()
        switch interruption {
        case .crash:
            try await host.admin.crash("a")
        case .destroy:
            try await host.destroy("a")
        case .remake:
            try await host.destroy("a")
            try await host.started("a")
        }
        clock.advance(by: 2)
        let error = await #expect(throws: HostError.self) { try await waiting.value }
        #expect(error?.code == .operationFailed)
        #expect(error?.description == interruption.message)
    }

    /// A paused guest makes no progress: it is ready only if it was before it was paused (its key stays written).
    @Test func aPausedGuestIsReadyOnlyIfItWasBefore() async throws {
        let clock = VirtualClock()
        let host = Fixture.host(SimState(bootSeconds: 2), clock: clock)
        try await host.started("a")
        try await host.pause("a")
        let booting = await #expect(throws: HostError.self) {
            try await host.waitReady("a", readiness: Readiness(xenstore: "data/ready"), timeout: .seconds(60))
        }
        #expect(booting?.code == .invalidState)
        try await host.unpause("a")
        try await host.waitReady("a", readiness: Readiness(xenstore: "data/ready"), timeout: .seconds(60))
        try await host.pause("a")
        let start = clock.now()
        try await host.waitReady("a", readiness: Readiness(xenstore: "data/ready"), timeout: .seconds(60))
        #expect(clock.now() == start)
        let unkeyed = await #expect(throws: HostError.self) {
            try await host.waitReady("a", readiness: nil, timeout: .seconds(60))
        }
        #expect(unkeyed?.code == .invalidState, "without a key, ready means running")
    }

    @Test func anAlreadyCrashedGuestFailsAtOnce() async throws {
        let host = Fixture.host()
        try await host.started("a")
        try await host.admin.crash("a")
        let error = await #expect(throws: HostError.self) {
            try await host.waitReady("a", readiness: nil, timeout: .seconds(5))
        }
        #expect(error?.code == .operationFailed)
    }
}
