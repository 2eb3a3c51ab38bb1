import DispoTestKit
import DispoConfig
import DispoHost
import Testing

@testable import DispoSim

/// dispo never modifies a domain without `owner=dispo`; the sim refuses, whatever the operation.
struct SimOwnershipTests {
    enum Operation: String, CaseIterable, Sendable {
        case unpause, pause, setMemoryTarget, shutdown, destroy, updateMetadata

        func run(on host: SimHost, _ name: String) async throws(HostError) {
            switch self {
            case .unpause: try await host.unpause(name)
            case .pause: try await host.pause(name)
            case .setMemoryTarget: try await host.setMemoryTarget(name, .mebibytes(100))
            case .shutdown: try await host.shutdown(name)
            case .destroy: try await host.destroy(name)
            case .updateMetadata: try await host.updateMetadata(name, [MetadataKey.owner: MetadataKey.ownerValue])
            }
        }
    }

    @Test(arguments: Operation.allCases)
    func foreignDomainsAreRefused(operation: Operation) async throws {
        let host = Fixture.host()
        let before = try await host.admin.addForeign(name: "work", memory: .mebibytes(1024))
        #expect(!before.isOwned)
        #expect(before.power == .running)
        let error = await #expect(throws: HostError.self) { try await operation.run(on: host, "work") }
        #expect(error?.code == .notOwned)
        #expect(error?.domain == "work")
        #expect(error?.description == "work: not managed by dispo (no owner=dispo); refusing to touch it")
        #expect(try await host.domain("work") == before)
    }

    @Test(arguments: Operation.allCases)
    func missingDomainsAreNotFound(operation: Operation) async throws {
        let host = Fixture.host()
        let error = await #expect(throws: HostError.self) { try await operation.run(on: host, "nowhere") }
        #expect(error?.code == .notFound)
    }

    @Test func aDomainWhoseOwnerKeyWasRemovedIsNoLongerTouched() async throws {
        let host = Fixture.host()
        _ = try await host.create(Fixture.request("a"))
        try await host.updateMetadata("a", [MetadataKey.owner: nil])
        let error = await #expect(throws: HostError.self) { try await host.destroy("a") }
        #expect(error?.code == .notOwned)
    }

    @Test func theAdminSideActsOnAnyDomain() async throws {
        let host = Fixture.host()
        try await host.admin.addForeign(name: "work", memory: .mebibytes(512))
        try await host.admin.crash("work")
        #expect(try await host.domain("work")?.power == .crashed)
        try await host.admin.addForeign(name: "mail", memory: .mebibytes(512))
        try await host.admin.guestShutdown("mail")
        #expect(try await host.domain("mail")?.power == .halted)
        let twice = await #expect(throws: HostError.self) { try await host.admin.crash("work") }
        #expect(twice?.code == .invalidState)
    }

    @Test func aForeignNameCannotBeCreated() async throws {
        let host = Fixture.host()
        try await host.admin.addForeign(name: "work", memory: .mebibytes(512))
        let error = await #expect(throws: HostError.self) { try await host.create(Fixture.request("work")) }
        #expect(error?.code == .alreadyExists)
    }
}
