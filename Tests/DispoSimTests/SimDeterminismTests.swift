import DispoTestKit
import DispoConfig
import DispoHost
import Testing

@testable import DispoSim

/// The same seed and the same operations give the same uuids and domids.
struct SimDeterminismTests {
    static func run(seed: UInt64) async throws -> [Domain] {
        let host = Fixture.host(SimState(seed: seed))
        _ = try await host.create(Fixture.request("a"))
        _ = try await host.create(Fixture.request("b"))
        try await host.destroy("a")
        try await host.admin.addForeign(name: "work", memory: .mebibytes(512))
        _ = try await host.create(Fixture.request("c"))
        return try await host.snapshot().domains
    }

    @Test func theSameSeedGivesTheSameDomains() async throws {
        let first = try await Self.run(seed: 42)
        let second = try await Self.run(seed: 42)
        #expect(first == second)
        #expect(first.map(\.domid) == [2, 3, 4])
        #expect(Set(first.map(\.uuid)).count == 3)
    }

    @Test func anotherSeedGivesOtherUUIDs() async throws {
        let first = try await Self.run(seed: 1)
        let second = try await Self.run(seed: 2)
        #expect(first.map(\.domid) == second.map(\.domid))
        #expect(Set(first.map(\.uuid)).isDisjoint(with: second.map(\.uuid)))
    }

    @Test(arguments: [0, 1, 42, UInt64.max])
    func uuidsAreLowercaseHexIn8_4_4_4_12(seed: UInt64) {
        var generator = SeededGenerator(state: seed)
        for _ in 0..<50 {
            let uuid = generator.uuid()
            let groups = uuid.split(separator: "-", omittingEmptySubsequences: false)
            #expect(groups.map(\.count) == [8, 4, 4, 4, 12], "\(uuid)")
            #expect(uuid.allSatisfy { "0123456789abcdef-".contains($0) }, "\(uuid)")
        }
    }
}
