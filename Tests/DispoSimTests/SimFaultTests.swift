import DispoTestKit
import DispoConfig
import DispoHost
import Testing

@testable import DispoSim

/// `dispo sim fail OPERATION --count N`: exactly the next N runs fail, then the operation works again.
struct SimFaultTests {
    /// Prepares a domain so that `operation` can run on it, then runs it once.
    static func attempt(_ operation: SimOperation, on host: SimHost, attempt: Int) async throws(HostError) {
        let name = "d\(attempt)"
        switch operation {
        case .create:
            _ = try await host.create(Fixture.request(name))
        case .start:
            if try await host.snapshot().domain(named: name) == nil { _ = try await host.create(Fixture.request(name)) }
            try await host.unpause(name)
        case .pause:
            try await host.pause("base")
        case .unpause:
            try await host.unpause("base")
        case .ready:
            try await host.waitReady("base", readiness: nil, timeout: .seconds(5))
        }
    }

    @Test(arguments: SimOperation.allCases, [1, 3])
    func faultsAreConsumedExactlyNTimes(operation: SimOperation, count: Int) async throws {
        let host = Fixture.host(SimState(bootSeconds: 1))
        try await host.started("base")
        if operation == .unpause { try await host.pause("base") }
        try await host.admin.injectFault(operation: operation, count: count)
        #expect(try await host.store.read().faults == [operation: count])
        for index in 0..<count {
            let error = await #expect(throws: HostError.self) {
                try await Self.attempt(operation, on: host, attempt: index)
            }
            #expect(error?.code == (operation == .ready ? .timeout : .operationFailed))
        }
        #expect(try await host.store.read().faults.isEmpty)
        try await Self.attempt(operation, on: host, attempt: count)
    }

    @Test func aFailedCreateMakesNothing() async throws {
        let host = Fixture.host()
        try await host.admin.injectFault(operation: .create, count: 1)
        let error = await #expect(throws: HostError.self) { try await host.create(Fixture.request("a")) }
        #expect(error?.description == "a: create failed (a fault injected with `dispo sim fail create`)")
        #expect(try await host.snapshot().domains.isEmpty)
    }

    @Test func aFailedStartLeavesTheDomainPausedAndNeverStarted() async throws {
        let host = Fixture.host()
        _ = try await host.create(Fixture.request("a"))
        try await host.admin.injectFault(operation: .start, count: 1)
        await #expect(throws: HostError.self) { try await host.unpause("a") }
        #expect(try await host.domain("a")?.power == .paused)
        #expect(try await host.store.read().domains.first?.hasStarted == false)
    }

    @Test func aStartFaultDoesNotHitALaterUnpauseAndViceVersa() async throws {
        let host = Fixture.host()
        try await host.started("a")
        try await host.pause("a")
        try await host.admin.injectFault(operation: .start, count: 1)
        try await host.unpause("a")
        _ = try await host.create(Fixture.request("b"))
        try await host.admin.injectFault(operation: .unpause, count: 1)
        await #expect(throws: HostError.self) { try await host.unpause("b") }
        #expect(try await host.store.read().faults == [.unpause: 1])
    }

    @Test func faultsAddUp() async throws {
        let host = Fixture.host()
        #expect(try await host.admin.injectFault(operation: .pause, count: 2) == 2)
        #expect(try await host.admin.injectFault(operation: .pause, count: 3) == 5)
        let error = await #expect(throws: HostError.self) {
            try await host.admin.injectFault(operation: .pause, count: 0)
        }
        #expect(error?.code == .invalidState)
    }
}
